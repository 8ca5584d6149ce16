/*
 * tun_netlink.c - rtnetlink requests for the TUN device: link up + MTU, addresses, routes.
 *
 * Netlink is host byte order, so requests are built with wbuf_put_bytes of host-order values
 * and replies are read with rbuf_get_bytes into host-order integers.
 *
 *   struct nlmsghdr (16 octets)
 *   +--------------------------------+----------------+----------------+
 *   | nlmsg_len (u32)                | nlmsg_type u16 | nlmsg_flags u16|
 *   +--------------------------------+----------------+----------------+
 *   | nlmsg_seq (u32)                | nlmsg_pid (u32)                 |
 *   +--------------------------------+---------------------------------+
 *   | family header (ifinfomsg / ifaddrmsg / rtmsg)                    |
 *   +------------------------------------------------------------------+
 *   | rtattr: rta_len u16 | rta_type u16 | data, padded to 4 octets     | ...
 *   +------------------------------------------------------------------+
 */
#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/log.h"
#include "tun/tun.h"

#define TUN_NL_BUF_LEN 8192

static uint32_t tun_nl_seq;

static void nl_put_u16h(struct wbuf *w, uint16_t v)
{
	wbuf_put_bytes(w, &v, sizeof(v));
}

static void nl_put_u32h(struct wbuf *w, uint32_t v)
{
	wbuf_put_bytes(w, &v, sizeof(v));
}

static void nl_fill_u32h(struct wbuf *w, size_t off, uint32_t v)
{
	if (w->err == E_OK && off + sizeof(v) <= w->len)
		memcpy(w->data + off, &v, sizeof(v));
}

static void nl_put_attr(struct wbuf *w, uint16_t type, const void *data, size_t len)
{
	nl_put_u16h(w, (uint16_t)(4 + len));
	nl_put_u16h(w, type);
	wbuf_put_bytes(w, data, len);
	wbuf_put_zero(w, (4 - (len & 3)) & 3);
}

/* Reserve the nlmsghdr; returns the sequence number used. */
static uint32_t nl_begin(struct wbuf *w, uint16_t type, uint16_t flags)
{
	uint32_t seq = ++tun_nl_seq;

	nl_put_u32h(w, 0); /* length, filled by nl_end */
	nl_put_u16h(w, type);
	nl_put_u16h(w, (uint16_t)(flags | NLM_F_REQUEST | NLM_F_ACK));
	nl_put_u32h(w, seq);
	nl_put_u32h(w, 0);
	return seq;
}

/* Parse the reply stream until the NLMSG_ERROR (ACK) for seq. */
static RESULT nl_parse_ack(const uint8_t *buf, size_t len, uint32_t seq, bool *done)
{
	struct rbuf r, msg;

	rbuf_init(&r, buf, len);
	while (rbuf_remaining(&r) > 0) {
		uint32_t mlen, mseq, pid;
		uint16_t type, flags;
		int32_t error;
		size_t pad;

		GUARD(rbuf_get_bytes(&r, &mlen, 4));
		if (mlen < 16)
			return E_TUN_NETLINK;
		GUARD(rbuf_get_sub(&r, mlen - 4, &msg));
		pad = (4 - (mlen & 3)) & 3; /* NLMSG_ALIGN */
		GUARD(rbuf_skip(&r, pad < rbuf_remaining(&r) ? pad : rbuf_remaining(&r)));
		GUARD(rbuf_get_bytes(&msg, &type, 2));
		GUARD(rbuf_get_bytes(&msg, &flags, 2));
		GUARD(rbuf_get_bytes(&msg, &mseq, 4));
		GUARD(rbuf_get_bytes(&msg, &pid, 4));
		if (mseq != seq || type != NLMSG_ERROR)
			continue;
		GUARD(rbuf_get_bytes(&msg, &error, 4));
		*done = true;
		if (error == 0)
			return E_OK;
		errno = -error;
		if (error == -EEXIST)
			return E_EXISTS;
		if (error == -ESRCH || error == -ENOENT || error == -EADDRNOTAVAIL)
			return E_NOTFOUND;
		return E_TUN_NETLINK;
	}
	return E_OK;
}

static RESULT nl_transact(struct wbuf *w, uint32_t seq)
{
	uint8_t reply[TUN_NL_BUF_LEN];
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
	bool done = false;
	result_t rc = E_TUN_NETLINK;
	int fd;

	GUARD(wbuf_result(w));
	nl_fill_u32h(w, 0, (uint32_t)w->len);
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return E_SYSTEM;
	if (sendto(fd, w->data, w->len, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		goto out;
	while (!done) {
		ssize_t n = recv(fd, reply, sizeof(reply), 0);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = E_SYSTEM;
			goto out;
		}
		rc = nl_parse_ack(reply, (size_t)n, seq, &done);
		if (rc != E_OK)
			goto out;
	}
out:
	close(fd);
	return rc;
}

RESULT tun_link_up(unsigned ifindex, uint32_t mtu)
{
	uint8_t storage[256];
	struct wbuf w;
	struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC,
				.ifi_index = (int)ifindex,
				.ifi_flags = IFF_UP,
				.ifi_change = IFF_UP};
	uint32_t seq;

	wbuf_init(&w, storage, sizeof(storage));
	seq = nl_begin(&w, RTM_NEWLINK, 0);
	wbuf_put_bytes(&w, &ifi, sizeof(ifi));
	if (mtu)
		nl_put_attr(&w, IFLA_MTU, &mtu, sizeof(mtu));
	return nl_transact(&w, seq);
}

RESULT tun_addr_add(unsigned ifindex, const struct prefix *local)
{
	uint8_t storage[256];
	struct wbuf w;
	struct ifaddrmsg ifa = {.ifa_family = local->addr.family,
				.ifa_prefixlen = local->len,
				.ifa_index = ifindex};
	size_t alen = local->addr.family == AF_INET6 ? 16 : 4;
	uint32_t seq;

	if (local->len > addr_bits(&local->addr))
		return E_INVAL;
	wbuf_init(&w, storage, sizeof(storage));
	seq = nl_begin(&w, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL);
	wbuf_put_bytes(&w, &ifa, sizeof(ifa));
	nl_put_attr(&w, IFA_LOCAL, local->addr.bytes, alen);
	nl_put_attr(&w, IFA_ADDRESS, local->addr.bytes, alen);
	return nl_transact(&w, seq);
}

static RESULT tun_route_req(uint16_t type, uint16_t flags, unsigned ifindex,
			    const struct prefix *dst, uint32_t table, uint32_t metric)
{
	uint8_t storage[256];
	struct wbuf w;
	struct prefix p = *dst;
	struct rtmsg rtm = {.rtm_family = dst->addr.family,
			    .rtm_dst_len = dst->len,
			    .rtm_table = RT_TABLE_UNSPEC,
			    .rtm_protocol = RTPROT_STATIC,
			    .rtm_scope = RT_SCOPE_LINK,
			    .rtm_type = RTN_UNICAST};
	uint32_t oif = ifindex, seq;

	if (dst->len > addr_bits(&dst->addr))
		return E_INVAL;
	prefix_normalize(&p);
	wbuf_init(&w, storage, sizeof(storage));
	seq = nl_begin(&w, type, flags);
	wbuf_put_bytes(&w, &rtm, sizeof(rtm));
	nl_put_attr(&w, RTA_TABLE, &(uint32_t){table ? table : RT_TABLE_MAIN}, 4);
	if (dst->len)
		nl_put_attr(&w, RTA_DST, p.addr.bytes, dst->addr.family == AF_INET6 ? 16 : 4);
	nl_put_attr(&w, RTA_OIF, &oif, sizeof(oif));
	if (metric)
		nl_put_attr(&w, RTA_PRIORITY, &metric, sizeof(metric));
	return nl_transact(&w, seq);
}

RESULT tun_route_add(unsigned ifindex, const struct prefix *dst, uint32_t table, uint32_t metric)
{
	return tun_route_req(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, ifindex, dst, table, metric);
}

RESULT tun_route_replace(unsigned ifindex, const struct prefix *dst, uint32_t table,
			 uint32_t metric)
{
	/* NLM_F_REPLACE: the route with this prefix and metric is re-pointed at ifindex in one
	 * step (created when none exists), so traffic never sees a gap. */
	return tun_route_req(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE, ifindex, dst, table,
			     metric);
}

RESULT tun_route_del(unsigned ifindex, const struct prefix *dst, uint32_t table, uint32_t metric)
{
	return tun_route_req(RTM_DELROUTE, 0, ifindex, dst, table, metric);
}
