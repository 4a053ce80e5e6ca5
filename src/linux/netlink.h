/* Network setup over rtnetlink: the loopback interface of a new
   network namespace starts down. */
#ifndef CELLRUN_NETLINK_H
#define CELLRUN_NETLINK_H
#include "base/error.h"
int netlink_loopback_up (struct cr_error *err);
#endif
