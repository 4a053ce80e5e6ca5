#include "config.h"
#include "linux/netlink.h"
#include "base/utils.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <net/if.h>
#include <sys/socket.h>
#include <linux/rtnetlink.h>
#include <time.h>

int
netlink_loopback_up (struct cr_error *err)
{
  char buf[MNL_SOCKET_BUFFER_SIZE];
  struct mnl_socket *nl = mnl_socket_open2 (NETLINK_ROUTE, SOCK_CLOEXEC);
  if (nl == NULL)
    return cr_fail (err, errno, "open netlink socket");
  int ret = 0;
  if (mnl_socket_bind (nl, 0, MNL_SOCKET_AUTOPID) < 0)
    {
      ret = cr_fail (err, errno, "bind netlink socket");
      goto out;
    }
  struct nlmsghdr *nlh = mnl_nlmsg_put_header (buf);
  nlh->nlmsg_type = RTM_NEWLINK;
  nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
  unsigned seq = nlh->nlmsg_seq = time (NULL);
  struct ifinfomsg *ifm = mnl_nlmsg_put_extra_header (nlh, sizeof *ifm);
  ifm->ifi_family = AF_UNSPEC;
  /* lo is always index 1 in a fresh network namespace. */
  ifm->ifi_index = 1;
  ifm->ifi_flags = IFF_UP;
  ifm->ifi_change = IFF_UP;
  if (mnl_socket_sendto (nl, nlh, nlh->nlmsg_len) < 0)
    {
      ret = cr_fail (err, errno, "bring up lo: send");
      goto out;
    }
  ssize_t n = mnl_socket_recvfrom (nl, buf, sizeof buf);
  if (n < 0 || mnl_cb_run (buf, n, seq, mnl_socket_get_portid (nl), NULL, NULL) < 0)
    ret = cr_fail (err, errno, "bring up lo");
out:
  mnl_socket_close (nl);
  return ret;
}
