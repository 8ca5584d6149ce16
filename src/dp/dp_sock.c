/*
 * dp_sock.c - the outer sockets: UDP 4500 for ESP-in-UDP (RFC 3948) and raw IP protocol 50.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <string.h>
#include <unistd.h>

#include "dp/dp_internal.h"
#include "lib/log.h"

#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif
#ifndef UDP_GRO
#define UDP_GRO 104
#endif

#define DP_SOCK_BUF_BYTES (8 * 1024 * 1024)

static void dp_sock_bufs(int fd)
{
	int v = DP_SOCK_BUF_BYTES;

	/* FORCE variants need CAP_NET_ADMIN; fall back to the capped ones */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &v, sizeof(v)) < 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v));
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &v, sizeof(v)) < 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, sizeof(v));
}

/* site-to-site.md 5.2: no PMTUD; the outer packets go without DF so a smaller path MTU
 * fragments them instead of black-holing them. */
static void dp_sock_no_df(int fd, int family)
{
	int v = IP_PMTUDISC_DONT;

	if (family == AF_INET)
		(void)setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &v, sizeof(v));
	else
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_MTU_DISCOVER, &v, sizeof(v));
}

static RESULT dp_sock_udp(struct dp *dp)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int one = 1, fd;

	addr_to_sockaddr(&dp->cfg.local, dp->cfg.udp_port, &ss, &len);
	fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return E_SYSTEM;
	/* the IKE socket bound first with SO_REUSEPORT and a steering program; this one
	 * becomes reuseport index 1 (see dp.h) */
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&ss, len) < 0) {
		log_err("dp", "bind UDP %u: %s", dp->cfg.udp_port, strerror(errno));
		close(fd);
		return E_SYSTEM;
	}
	dp_sock_bufs(fd);
	dp_sock_no_df(fd, ss.ss_family);
	if (!dp->cfg.no_udp_gso) {
		int seg = 0;

		dp->gso_ok = setsockopt(fd, SOL_UDP, UDP_SEGMENT, &seg, sizeof(seg)) == 0;
	}
	if (!dp->cfg.no_udp_gro)
		dp->gro_ok = setsockopt(fd, SOL_UDP, UDP_GRO, &one, sizeof(one)) == 0;
	dp->udp_fd = fd;
	return E_OK;
}

static RESULT dp_sock_raw(struct dp *dp)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd;

	addr_to_sockaddr(&dp->cfg.local, 0, &ss, &len);
	fd = socket(ss.ss_family, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_ESP);
	if (fd < 0) {
		log_warn("dp", "raw ESP socket: %s (UDP encapsulation only)", strerror(errno));
		return E_OK;
	}
	if (bind(fd, (struct sockaddr *)&ss, len) < 0) {
		log_warn("dp", "bind raw ESP: %s (UDP encapsulation only)", strerror(errno));
		close(fd);
		return E_OK;
	}
	dp_sock_bufs(fd);
	dp_sock_no_df(fd, ss.ss_family);
	dp->raw_fd = fd;
	return E_OK;
}

RESULT dp_sock_open(struct dp *dp)
{
	if (dp->cfg.local.family != AF_INET && dp->cfg.local.family != AF_INET6)
		return E_INVAL;
	GUARD(dp_sock_udp(dp));
	if (!dp->cfg.no_raw_esp)
		GUARD(dp_sock_raw(dp));
	return E_OK;
}

void dp_sock_close(struct dp *dp)
{
	if (dp->udp_fd >= 0)
		close(dp->udp_fd);
	if (dp->raw_fd >= 0)
		close(dp->raw_fd);
	dp->udp_fd = dp->raw_fd = -1;
}
