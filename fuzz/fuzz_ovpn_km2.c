/*
 * fuzz_ovpn_km2.c - what arrives inside the OpenVPN control channel's TLS stream: the client's
 * key-method 2 message, its peer-info (capabilities, NCP) and the NUL-separated control
 * messages. Corpus: fuzz/corpus/fuzz_ovpn_km2/.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ovpn/ovpn_km.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ovpn_km2 km;
	static const enum ovpn_cipher srv[] = {OVPN_CIPHER_AES_256_GCM, OVPN_CIPHER_AES_128_GCM,
	                                       OVPN_CIPHER_CHACHA20_POLY1305};
	struct ovpn_peer_caps caps;
	enum ovpn_cipher pick;
	size_t used = 0;
	char msg[256];
	struct rbuf r;

	if (ovpn_km2_parse_client(data, size, &km, &used) == E_OK) {
		if (used > size || strlen(km.peer_info) >= sizeof(km.peer_info))
			abort();
		ovpn_peer_caps_parse(km.peer_info, &caps);
		(void)ovpn_cipher_negotiate(srv, 3, &caps, &pick);
	}
	rbuf_init(&r, data, size);
	while (ovpn_ctl_msg_next(&r, msg, sizeof(msg)) != E_AGAIN) {
		if (strlen(msg) >= sizeof(msg))
			abort();
	}
	return 0;
}
