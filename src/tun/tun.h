/*
 * tun.h - the TUN device the data plane reads inner packets from and writes them to, and its
 * configuration over rtnetlink (MTU, up, addresses, routes). No shelling out to ip(8).
 *
 * The device is opened with IFF_TUN | IFF_NO_PI | IFF_MULTI_QUEUE: every queue is its own
 * descriptor, so each data-plane worker owns one and none share a lock. Packets are bare IPv4
 * or IPv6 datagrams.
 *
 * Threads: tun_open / tun_queue_open and the netlink calls run on the control thread (they
 * need CAP_NET_ADMIN, so call them before dropping privileges); the queue descriptors are then
 * handed to workers. Errors: E_TUN (ioctl/open failed, errno kept), E_TUN_NETLINK (the kernel
 * refused a request; errno is set from the NLMSG_ERROR), E_EXISTS (address/route exists),
 * E_NOTFOUND (deleting what does not exist), E_INVAL.
 */
#ifndef GH_TUN_TUN_H
#define GH_TUN_TUN_H

#include <net/if.h>
#include <stdint.h>

#include "lib/addr.h"
#include "lib/err.h"

/* Open (or create) the device `name` ("" lets the kernel pick "tun%d") and return one queue
 * descriptor (non-blocking, close-on-exec). ifname (IFNAMSIZ) gets the actual name. */
RESULT tun_open(const char *name, int *fd, char *ifname);
/* tun_open with IFF_VNET_HDR and TCP segmentation offload (TUNSETOFFLOAD: TUN_F_CSUM,
 * TUN_F_TSO4, TUN_F_TSO6): every read and write starts with a 10-octet struct virtio_net_hdr
 * (host byte order), and reads may return a TCP super-packet of up to 64 KiB that the reader
 * segments itself. E_TUN when the kernel refuses the offloads. */
RESULT tun_open_offload(const char *name, int *fd, char *ifname);
/* Attach one more queue to an existing multi-queue device. */
RESULT tun_queue_open(const char *ifname, int *fd);
/* Interface index; E_NOTFOUND if there is no such device. */
RESULT tun_ifindex(const char *ifname, unsigned *ifindex);

/* rtnetlink (RFC 3549 framing; NETLINK_ROUTE). Each call is one request + its ACK. */
RESULT tun_link_up(unsigned ifindex, uint32_t mtu);
/* Add address/len on the device (a host address with its prefix length, e.g. 169.254.10.1/30). */
RESULT tun_addr_add(unsigned ifindex, const struct prefix *local);
/* Route prefix -> device in table `table` (0 = main) with a metric. */
RESULT tun_route_add(unsigned ifindex, const struct prefix *dst, uint32_t table,
		     uint32_t metric);
/* The same, replacing the route of that prefix and metric (whatever device it points at) in
 * one step: `ip route replace`. */
RESULT tun_route_replace(unsigned ifindex, const struct prefix *dst, uint32_t table,
			 uint32_t metric);
RESULT tun_route_del(unsigned ifindex, const struct prefix *dst, uint32_t table,
		     uint32_t metric);

#endif
