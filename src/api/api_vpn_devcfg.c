/*
 * api/api_vpn_devcfg.c - GetVpnConnectionDeviceTypes and
 * GetVpnConnectionDeviceSampleConfiguration (site-to-site.md 6.1; docs/decisions.md D14).
 */
#include "api/api_vpn.h"

#include <stdlib.h>
#include <string.h>

#include "lib/secret.h"

#define DEVICE_TYPES_MAX_RESULTS_MIN 200 /* GVCDMaxResults */
#define DEVICE_TYPES_MAX_RESULTS_MAX 1000

static int type_cmp(const void *a, const void *b)
{
	const struct devcfg_device_type *const *x = a, *const *y = b;

	return strcmp((*x)->id, (*y)->id);
}

result_t api_vpn_device_types(struct api_req *rq, struct api_resp *rs)
{
	size_t n;
	const struct devcfg_device_type *t = devcfg_device_types(&n);
	const struct devcfg_device_type *sorted[16];
	struct api_page pg;

	GUARD(api_page_parse(rq, rs, DEVICE_TYPES_MAX_RESULTS_MIN, DEVICE_TYPES_MAX_RESULTS_MAX,
	                     &pg));
	if (n > sizeof(sorted) / sizeof(sorted[0]))
		n = sizeof(sorted) / sizeof(sorted[0]);
	/* Pages resume after a key: walk the ids in ascending order. */
	for (size_t i = 0; i < n; i++)
		sorted[i] = &t[i];
	qsort(sorted, n, sizeof(sorted[0]), type_cmp);
	xml_open(&rs->x, "vpnConnectionDeviceTypeSet");
	for (size_t i = 0; i < n; i++) {
		if (!api_page_take(&pg, sorted[i]->id))
			continue;
		xml_open(&rs->x, "item");
		xml_str(&rs->x, "vpnConnectionDeviceTypeId", sorted[i]->id);
		xml_str(&rs->x, "vendor", sorted[i]->vendor);
		xml_str(&rs->x, "platform", sorted[i]->platform);
		xml_str(&rs->x, "software", sorted[i]->software);
		xml_close(&rs->x);
	}
	xml_close(&rs->x);
	api_page_finish(&pg, &rs->x);
	return E_OK;
}

result_t api_vpn_device_sample(struct api_req *rq, struct api_resp *rs)
{
	struct api_vpn v;
	struct devcfg_peer p;
	struct wbuf w;
	const char *id, *type, *ike;
	uint32_t ike_bit = 0;
	result_t rc;

	GUARD(api_get_str(rq, rs, "VpnConnectionId", true, &id));
	GUARD(api_get_str(rq, rs, "VpnConnectionDeviceTypeId", true, &type));
	ike = api_param(&rq->params, "InternetKeyExchangeVersion");
	if (ike && model_ike_version_parse(ike, &ike_bit) != E_OK)
		return api_error(
		    rs, 400, "InvalidParameterValue",
		    "Invalid value '%.32s' for InternetKeyExchangeVersion. Valid values: "
		    "ikev1 | ikev2.",
		    ike);
	GUARD(api_vpn_load(rq, rs, id, &v));
	if (v.c->state == MODEL_VPN_DELETED || v.c->state == MODEL_VPN_DELETING) {
		rc = api_error(rs, 400, "InvalidVpnConnection.InvalidState",
		               "The VPN connection '%.64s' is deleted.", id);
		api_vpn_fini(&v);
		return rc;
	}
	api_vpn_peer(rq, v.c, &p);
	wbuf_init_dyn(&w, 16384, 0);
	rc = devcfg_sample(type, ike_bit, &p, &w);
	if (rc == E_DEVCFG_DEVICE)
		rc = api_error(rs, 400, "InvalidParameterValue",
		               "Invalid value '%.64s' for VpnConnectionDeviceTypeId: see "
		               "GetVpnConnectionDeviceTypes.",
		               type);
	else if (rc == E_INVAL)
		rc = api_error(rs, 400, "InvalidParameterValue",
		               "The tunnels of VPN connection '%s' do not allow %s.", v.c->id,
		               ike ? ike : "a common IKE version");
	else if (rc == E_OK)
		xml_str(&rs->x, "vpnConnectionDeviceSampleConfiguration", wbuf_cstr(&w));
	secret_wipe(w.data, w.cap);
	wbuf_free(&w);
	api_vpn_fini(&v);
	return rc;
}
