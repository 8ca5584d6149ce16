/*
 * devcfg/devcfg.h - what a customer gateway device needs to know about a VPN connection:
 *   - the CustomerGatewayConfiguration XML (customer-gateway-configuration.md; its element
 *     paths are a contract that Terraform and others parse), and
 *   - the sample device configurations of GetVpnConnectionDeviceTypes /
 *     GetVpnConnectionDeviceSampleConfiguration (site-to-site.md section 6).
 *
 * Pure text builders: no I/O. They write through a struct wbuf (check wbuf_result once).
 * Any thread. The output contains the tunnels' pre-shared keys: callers wipe the buffer.
 *
 * Device type ids are stable strings (docs/decisions.md "Device type ids"):
 *   strongswan-swanctl, libreswan-ipsec-conf, cisco-ios, juniper-junos-srx, generic
 */
#ifndef GH_DEVCFG_DEVCFG_H
#define GH_DEVCFG_DEVCFG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/addr.h"
#include "lib/buf.h"
#include "lib/err.h"
#include "model/vpn.h"

#define DEVCFG_BGP_HOLD_TIME_S 30 /* every example in the guide (site-to-site.md 0.1 #15) */
#define DEVCFG_BGP_KEEPALIVE_S 10
#define DEVCFG_DPD_INTERVAL_S 10 /* AWS sample: dpddelay=10s, retries 3 */
#define DEVCFG_DPD_RETRIES 3
#define DEVCFG_TCP_MSS 1379
#define DEVCFG_TUNNEL_MTU 1399 /* G:1363 */

/* The connection plus what lives on other resources (customer gateway, target gateway). */
struct devcfg_peer {
	const struct model_vpn_connection *vpn;
	struct addr cgw_ip;  /* the customer gateway's address; family 0 when it has none */
	uint32_t cgw_asn;    /* CustomerGateway BgpAsn */
	uint32_t amazon_asn; /* VGW / TGW Amazon-side ASN */
};

/* The native XML (UTF-8, starts with the XML declaration). E_OVERFLOW via the wbuf. */
RESULT devcfg_cgw_xml(const struct devcfg_peer *p, struct wbuf *w);

struct devcfg_device_type {
	const char *id; /* VpnConnectionDeviceTypeId */
	const char *vendor;
	const char *platform;
	const char *software;
};

/* The device types, in a stable order; *n gets the count. */
const struct devcfg_device_type *devcfg_device_types(size_t *n);

/*
 * The sample configuration for device type `type_id`, for IKE version ike_version
 * (MODEL_IKE_V1 or MODEL_IKE_V2; 0 = ikev2 when both tunnels allow it, else ikev1).
 * E_DEVCFG_DEVICE for an unknown id; E_INVAL for an ike_version a tunnel does not allow.
 */
RESULT devcfg_sample(const char *type_id, uint32_t ike_version, const struct devcfg_peer *p,
                     struct wbuf *w);

/* ---- shared by the generators (devcfg_*.c) ---- */

/* One tunnel, every value a device needs, as text. */
struct devcfg_tunnel {
	unsigned index; /* 1, 2 */
	const struct model_tunnel_options *opt;
	char aws_outside[ADDR_STRLEN];
	char cgw_outside[ADDR_STRLEN]; /* "" when the CGW has no address */
	char aws_inside[ADDR_STRLEN];
	char cgw_inside[ADDR_STRLEN];
	char inside_cidr[PREFIX_STRLEN];
	char aws_inside6[ADDR_STRLEN]; /* "" unless IPv6 inside */
	char cgw_inside6[ADDR_STRLEN];
	char local_net[PREFIX_STRLEN];  /* customer side traffic selector */
	char remote_net[PREFIX_STRLEN]; /* AWS side */
};

void devcfg_tunnel_facts(const struct devcfg_peer *p, unsigned index, struct devcfg_tunnel *t);
/* Lowest set bit of a mask (the value AWS evaluates first, G:327), as an enum/group. */
unsigned devcfg_first(uint32_t mask);
/* Is the connection BGP (dynamic) routed? */
bool devcfg_bgp(const struct devcfg_peer *p);

void devcfg_strongswan(const struct devcfg_peer *p, uint32_t ike, struct wbuf *w);
void devcfg_libreswan(const struct devcfg_peer *p, uint32_t ike, struct wbuf *w);
void devcfg_cisco_ios(const struct devcfg_peer *p, uint32_t ike, struct wbuf *w);
void devcfg_junos(const struct devcfg_peer *p, uint32_t ike, struct wbuf *w);
void devcfg_generic(const struct devcfg_peer *p, uint32_t ike, struct wbuf *w);

/* strongSwan proposal keywords (interop.md section 3). */
const char *devcfg_swan_encr(unsigned e);
const char *devcfg_swan_integ(unsigned i);
const char *devcfg_swan_dh(unsigned group);
/* strongSwan rekey timing that ends at `life_s` and rekeys ahead of the AWS margin. */
void devcfg_swan_rekey(uint32_t life_s, uint32_t margin_s, uint32_t *rekey_s, uint32_t *rand_s);

#endif
