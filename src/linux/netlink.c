#include "config.h"
#include "linux/netlink.h"
#include "base/utils.h"

#include <errno.h>
#include <net/if.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <unistd.h>

/* One RTM_NEWLINK request with an ack, on a plain netlink socket: the whole
   conversation is one message each way, no library needed. */
int
netlink_loopback_up (struct cr_error *err)
{
  struct
  {
    struct nlmsghdr nh;
    struct ifinfomsg ifm;
  } req = { 0 };
  req.nh.nlmsg_len = sizeof req;
  req.nh.nlmsg_type = RTM_NEWLINK;
  req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
  req.nh.nlmsg_seq = 1;
  req.ifm.ifi_family = AF_UNSPEC;
  /* lo is always index 1 in a fresh network namespace. */
  req.ifm.ifi_index = 1;
  req.ifm.ifi_flags = IFF_UP;
  req.ifm.ifi_change = IFF_UP;
  _cleanup_close_ int fd = socket (AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0)
    return cr_fail (err, errno, "open netlink socket");
  struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
  if (sendto (fd, &req, sizeof req, 0, (struct sockaddr *) &kernel, sizeof kernel) != (ssize_t) sizeof req)
    return cr_fail (err, errno, "bring up lo: send");
  union
  {
    struct nlmsghdr nh;
    char buf[1024];
  } ans;
  ssize_t n;
  do
    n = recv (fd, &ans, sizeof ans, 0);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    return cr_fail (err, errno, "bring up lo");
  if (n < (ssize_t) (NLMSG_HDRLEN + sizeof (struct nlmsgerr)) || ans.nh.nlmsg_type != NLMSG_ERROR
      || ans.nh.nlmsg_seq != req.nh.nlmsg_seq)
    return cr_fail (err, EPROTO, "bring up lo: unexpected netlink answer");
  const struct nlmsgerr *e = NLMSG_DATA (&ans.nh);
  if (e->error != 0)
    return cr_fail (err, -e->error, "bring up lo");
  return 0;
}
