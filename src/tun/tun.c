/*
 * tun.c - opening TUN queues (Documentation/networking/tuntap.rst).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "lib/log.h"
#include "tun/tun.h"

static RESULT tun_attach(const char *name, short extra_flags, int *fd, char *ifname)
{
	struct ifreq ifr;
	int f;

	*fd = -1;
	if (strlen(name) >= IFNAMSIZ)
		return E_INVAL;
	f = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (f < 0) {
		log_err("tun", "open /dev/net/tun: %s", strerror(errno));
		return E_TUN;
	}
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = (short)(IFF_TUN | IFF_NO_PI | IFF_MULTI_QUEUE | extra_flags);
	memcpy(ifr.ifr_name, name, strlen(name));
	if (ioctl(f, TUNSETIFF, &ifr) < 0) {
		int e = errno;

		log_err("tun", "TUNSETIFF %s: %s", name[0] ? name : "(new)", strerror(e));
		close(f);
		errno = e;
		return E_TUN;
	}
	if (ifname) {
		memcpy(ifname, ifr.ifr_name, IFNAMSIZ);
		ifname[IFNAMSIZ - 1] = '\0';
	}
	*fd = f;
	return E_OK;
}

RESULT tun_open(const char *name, int *fd, char *ifname)
{
	return tun_attach(name ? name : "", 0, fd, ifname);
}

RESULT tun_open_offload(const char *name, int *fd, char *ifname)
{
	unsigned long off = TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6;

	GUARD(tun_attach(name ? name : "", IFF_VNET_HDR, fd, ifname));
	if (ioctl(*fd, TUNSETOFFLOAD, off) < 0) {
		log_warn("tun", "TUNSETOFFLOAD: %s", strerror(errno));
		close(*fd);
		*fd = -1;
		return E_TUN;
	}
	return E_OK;
}

RESULT tun_queue_open(const char *ifname, int *fd)
{
	if (!ifname || !ifname[0])
		return E_INVAL;
	return tun_attach(ifname, 0, fd, NULL);
}

RESULT tun_ifindex(const char *ifname, unsigned *ifindex)
{
	*ifindex = if_nametoindex(ifname);
	return *ifindex ? E_OK : E_NOTFOUND;
}
