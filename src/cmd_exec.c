#include "config.h"
#include "cli.h"
#include "log.h"
int cmd_exec (struct cli *g, int argc, char **argv) { log_error ("exec: not implemented yet"); return 1; }
