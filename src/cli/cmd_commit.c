#include "config.h"
/* diff and commit share their code in cmd_diff.c. */
