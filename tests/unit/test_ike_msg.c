/* Unit tests for the IKEv2 wire format (src/ike/ike_msg.c, ike_pld*.c, ike_sk.c) and proposal
 * selection (ike_proposal.c), with the packet samples of vectors/ikev2-packet-samples.json. */
#include "test.h"

#include <json-c/json.h>

#include "crypto/crypto.h"
#include "ike/ike_proposal.h"
#include "ike/ike_sk.h"
#include "ike/ike_wire.h"
#include "lib/secret.h"

struct bytes {
	uint8_t b[4096];
	size_t n;
};

/* The hex of the sample named `name` ("ike_sa_init_request" or a payload fragment). */
static bool sample(const char *name, struct bytes *out)
{
	struct json_object *root =
	    json_object_from_file(test_spec_path("vectors/ikev2-packet-samples.json"));
	struct json_object *v, *arr, *hex;
	bool ok = false;

	out->n = 0;
	if (!root)
		return false;
	if (!strcmp(name, "ike_sa_init_request")) {
		if (json_object_object_get_ex(root, name, &v) &&
		    json_object_object_get_ex(v, "hex", &hex))
			ok = hex_decode(json_object_get_string(hex), out->b, sizeof(out->b),
			                &out->n) == E_OK;
	} else if (json_object_object_get_ex(root, "payload_fragments", &arr)) {
		for (size_t i = 0; i < json_object_array_length(arr); i++) {
			struct json_object *f = json_object_array_get_idx(arr, i), *n;

			if (json_object_object_get_ex(f, "name", &n) &&
			    !strcmp(json_object_get_string(n), name) &&
			    json_object_object_get_ex(f, "hex", &hex))
				ok = hex_decode(json_object_get_string(hex), out->b, sizeof(out->b),
				                &out->n) == E_OK;
		}
	}
	json_object_put(root);
	return ok;
}

/* A payload fragment is a whole payload (generic header + body): frame it as a one-payload
 * chain of the given type. */
static result_t frame_one(const struct bytes *b, uint8_t type, struct ike_chain *c)
{
	struct rbuf r;

	rbuf_init(&r, b->b, b->n);
	return ike_chain_frame(&r, type, c);
}

TEST(ike_sa_init_sample_decodes)
{
	static struct bytes b;
	static struct ike_chain c;
	static struct ike_payloads p;
	struct ike_hdr h;

	CHECK(sample("ike_sa_init_request", &b));
	CHECK_EQ(b.n, 448);
	CHECK_OK(ike_msg_frame(b.b, b.n, &h, &c));
	CHECK_EQ(h.spi_i, 0xdeadbeefcafe0001ull);
	CHECK_EQ(h.spi_r, 0);
	CHECK_EQ(h.exchange, IKEV2_EXCH_IKE_SA_INIT);
	CHECK_EQ(h.flags, IKEV2_FLAG_INITIATOR);
	CHECK_EQ(c.n, 5);
	ike_payloads_init(&p);
	CHECK_OK(ike_chain_decode(&c, &p));
	CHECK(p.have_sa && p.have_ke && p.have_nonce);
	CHECK_EQ(p.sa.nprop, 1);
	CHECK_EQ(p.sa.prop[0].ntrans, 6);
	CHECK_EQ(p.sa.prop[0].trans[1].type, IKEV2_TRANS_ENCR);
	CHECK_EQ(p.sa.prop[0].trans[1].id, 12);
	CHECK_EQ(p.sa.prop[0].trans[1].key_bits, 192);
	CHECK_EQ(p.ke_group, 14);
	CHECK_EQ(p.ke_len, 256);
	CHECK_EQ(p.nonce_len, 32);
	CHECK_EQ(p.nnotify, 2);
	CHECK(ike_payloads_notify(&p, IKEV2_N_NAT_DETECTION_SOURCE_IP) != NULL);
	CHECK(ike_payloads_notify(&p, IKEV2_N_NAT_DETECTION_DESTINATION_IP) != NULL);
	CHECK(ike_payloads_error(&p) == NULL);
}

TEST(ike_header_errors)
{
	static struct bytes b;
	static struct ike_chain c;
	struct ike_hdr h;

	CHECK(sample("ike_sa_init_request", &b));
	/* shorter than a header, length field != datagram length, truncated */
	CHECK_ERR(ike_msg_frame(b.b, 27, &h, &c), E_IKE_SYNTAX);
	CHECK_ERR(ike_msg_frame(b.b, b.n - 1, &h, &c), E_IKE_SYNTAX);
	/* major version 3 */
	b.b[17] = 0x30;
	CHECK_ERR(ike_msg_frame(b.b, b.n, &h, &c), E_IKE_VERSION);
	b.b[17] = 0x20;
	/* a payload length running past the end */
	b.b[28 + 2] = 0xff;
	CHECK_ERR(ike_msg_frame(b.b, b.n, &h, &c), E_IKE_SYNTAX);
}

TEST(ike_critical_unknown_payload)
{
	/* one unknown payload type 200 with the critical bit, then none */
	static const uint8_t crit[] = {0x00, 0x80, 0x00, 0x08, 1, 2, 3, 4};
	static const uint8_t noncrit[] = {0x00, 0x00, 0x00, 0x08, 1, 2, 3, 4};
	struct ike_chain c;
	struct rbuf r;

	rbuf_init(&r, crit, sizeof(crit));
	CHECK_ERR(ike_chain_frame(&r, 200, &c), E_IKE_CRITICAL);
	CHECK_EQ(c.unsupported_critical, 200);
	rbuf_init(&r, noncrit, sizeof(noncrit));
	CHECK_OK(ike_chain_frame(&r, 200, &c));
	CHECK_EQ(c.n, 0);
	/* a payload length below the generic header */
	static const uint8_t shortlen[] = {0x00, 0x00, 0x00, 0x02};
	rbuf_init(&r, shortlen, sizeof(shortlen));
	CHECK_ERR(ike_chain_frame(&r, IKEV2_PL_NONCE, &c), E_IKE_SYNTAX);
}

TEST(ike_payload_samples)
{
	static struct bytes b;
	static struct ike_chain c;
	static struct ike_payloads p;

	ike_payloads_init(&p);
	CHECK(sample("saxform_pld", &b));
	CHECK_OK(frame_one(&b, IKEV2_PL_SA, &c));
	CHECK_OK(ike_chain_decode(&c, &p));
	CHECK_EQ(p.sa.prop[0].ntrans, 6);
	/* a proposal with 0 transforms is malformed */
	CHECK(sample("sa_pld", &b));
	CHECK_OK(frame_one(&b, IKEV2_PL_SA, &c));
	ike_payloads_init(&p);
	CHECK_ERR(ike_chain_decode(&c, &p), E_IKE_SYNTAX);

	CHECK(sample("id_pld", &b));
	CHECK_OK(frame_one(&b, IKEV2_PL_IDI, &c));
	ike_payloads_init(&p);
	CHECK_OK(ike_chain_decode(&c, &p));
	CHECK_EQ(p.idi.type, IKEV2_ID_IPV4_ADDR);
	CHECK_EQ(p.idi.len, 4);
	CHECK_EQ(p.idi.data[0], 0xac);

	CHECK(sample("ts_pld", &b));
	CHECK_OK(frame_one(&b, IKEV2_PL_TSI, &c));
	ike_payloads_init(&p);
	CHECK_OK(ike_chain_decode(&c, &p));
	CHECK_EQ(p.tsi.n, 1);
	CHECK_EQ(p.tsi.ts[0].start_v4, 0xac287d00u);
	CHECK_EQ(p.tsi.ts[0].end_v4, 0xac287dffu);
	CHECK_EQ(p.tsi.ts[0].end_port, 0xffff);

	CHECK(sample("delete_pld", &b));
	CHECK_OK(frame_one(&b, IKEV2_PL_DELETE, &c));
	ike_payloads_init(&p);
	CHECK_OK(ike_chain_decode(&c, &p));
	CHECK_EQ(p.ndelete, 2);
	CHECK_EQ(p.del[1].proto, IKEV2_PROTO_ESP);
	CHECK_EQ(p.del[1].nspi, 2);
	CHECK_EQ(p.del[1].esp_spi[0], 0xaabbccddu);

	CHECK(sample("auth_pld", &b));
	CHECK_OK(frame_one(&b, IKEV2_PL_AUTH, &c));
	ike_payloads_init(&p);
	CHECK_OK(ike_chain_decode(&c, &p));
	CHECK(p.have_auth);

	/* two payloads side by side, each with Next Payload 0: frame the first one alone */
	CHECK(sample("notify_pld", &b));
	CHECK_ERR(frame_one(&b, IKEV2_PL_NOTIFY, &c), E_IKE_SYNTAX);
	b.n = 28;
	CHECK_OK(frame_one(&b, IKEV2_PL_NOTIFY, &c));
	ike_payloads_init(&p);
	CHECK_OK(ike_chain_decode(&c, &p));
	CHECK_EQ(p.nnotify, 1);
	CHECK_EQ(p.notify[0].type, IKEV2_N_NAT_DETECTION_SOURCE_IP);
	CHECK_EQ(p.notify[0].data_len, 20);

	/* SK: the sample is the last payload of its chain */
	CHECK(sample("sk_pld", &b));
	CHECK_OK(frame_one(&b, IKEV2_PL_SK, &c));
	CHECK(c.has_sk);
	CHECK_EQ(c.sk_first, 0x21);
}

TEST(ike_payload_negative)
{
	/* nonce of 15 octets, KE without data, ID IPv4 of 3 octets, TS count 0, delete IKE with
	 * SPIs, transform with a bad key length */
	static const uint8_t nonce15[] = {0, 0, 0, 19, 1,  2,  3,  4,  5, 6,
	                                  7, 8, 9, 10, 11, 12, 13, 14, 15};
	static const uint8_t ke0[] = {0, 0, 0, 8, 0, 14, 0, 0};
	static const uint8_t id3[] = {0, 0, 0, 11, 1, 0, 0, 0, 10, 0, 0};
	static const uint8_t ts0[] = {0, 0, 0, 8, 0, 0, 0, 0};
	static const uint8_t delike[] = {0, 0, 0, 12, 1, 4, 0, 1, 1, 2, 3, 4};
	static const uint8_t badkl[] = {0, 0, 0, 24, 0, 0, 0, 20, 1,    1,  0, 1,
	                                0, 0, 0, 12, 1, 0, 0, 12, 0x80, 14, 0, 100};
	static const struct {
		const uint8_t *b;
		size_t n;
		uint8_t type;
	} cases[] = {
	    {nonce15, sizeof(nonce15), IKEV2_PL_NONCE}, {ke0, sizeof(ke0), IKEV2_PL_KE},
	    {id3, sizeof(id3), IKEV2_PL_IDI},           {ts0, sizeof(ts0), IKEV2_PL_TSI},
	    {delike, sizeof(delike), IKEV2_PL_DELETE},  {badkl, sizeof(badkl), IKEV2_PL_SA},
	};
	static struct ike_chain c;
	static struct ike_payloads p;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct rbuf r;

		rbuf_init(&r, cases[i].b, cases[i].n);
		CHECK_OK(ike_chain_frame(&r, cases[i].type, &c));
		ike_payloads_init(&p);
		CHECK_ERR(ike_chain_decode(&c, &p), E_IKE_SYNTAX);
	}
}

static struct ike_sa_payload *sa_of(const char *encrs)
{
	static struct ike_sa_payload sa;
	struct ike_proposal *pr = &sa.prop[0];

	memset(&sa, 0, sizeof(sa));
	sa.nprop = 1;
	pr->num = 1;
	pr->proto = IKEV2_PROTO_IKE;
	for (const char *e = encrs; *e; e++) {
		if (*e == 'a')
			pr->trans[pr->ntrans++] = (struct ike_transform){IKEV2_TRANS_ENCR, 12, 256};
		if (*e == 'b')
			pr->trans[pr->ntrans++] = (struct ike_transform){IKEV2_TRANS_ENCR, 12, 128};
		if (*e == '3')
			pr->trans[pr->ntrans++] = (struct ike_transform){IKEV2_TRANS_ENCR, 3, 0};
	}
	pr->trans[pr->ntrans++] = (struct ike_transform){IKEV2_TRANS_INTEG, 12, 0};
	pr->trans[pr->ntrans++] = (struct ike_transform){IKEV2_TRANS_INTEG, 2, 0};
	pr->trans[pr->ntrans++] = (struct ike_transform){IKEV2_TRANS_PRF, 5, 0};
	pr->trans[pr->ntrans++] = (struct ike_transform){IKEV2_TRANS_DH, 19, 0};
	pr->trans[pr->ntrans++] = (struct ike_transform){IKEV2_TRANS_DH, 14, 0};
	return &sa;
}

static void default_opts(struct model_tunnel_options *o)
{
	memset(o, 0, sizeof(*o));
	o->phase1_encr = o->phase2_encr = 0xf;
	o->phase1_integ = o->phase2_integ = 0xf;
	o->phase1_dh = MODEL_DH_MASK(2) | 0x1ffc000u; /* 2, 14-24 */
	o->phase2_dh = o->phase1_dh | MODEL_DH_MASK(5);
}

TEST(ike_proposal_lowest_configured_wins)
{
	struct model_tunnel_options o;
	struct ike_suite s;
	size_t idx;

	default_opts(&o);
	/* G:327: [AES256, AES128] offered, both allowed -> AES128; SHA1 before SHA2-256;
	 * DH 14 before 19 */
	CHECK_OK(ike_proposal_select_ike(&o, sa_of("ab"), &s, &idx));
	CHECK_EQ(s.encr, 12);
	CHECK_EQ(s.key_bits, 128);
	CHECK_EQ(s.integ, 2);
	CHECK_EQ(s.prf, 5);
	CHECK_EQ(s.dh, 14);
	/* restricted to AES256 and SHA2-256 */
	o.phase1_encr = 1u << MODEL_ENCR_AES256;
	o.phase1_integ = 1u << MODEL_INTEG_SHA2_256;
	CHECK_OK(ike_proposal_select_ike(&o, sa_of("ab"), &s, &idx));
	CHECK_EQ(s.key_bits, 256);
	CHECK_EQ(s.integ, 12);
	/* 3DES only -> no proposal chosen */
	default_opts(&o);
	CHECK_ERR(ike_proposal_select_ike(&o, sa_of("3"), &s, &idx), E_IKE_NO_PROPOSAL);
	/* DH groups outside the list */
	o.phase1_dh = MODEL_DH_MASK(20);
	CHECK_ERR(ike_proposal_select_ike(&o, sa_of("b"), &s, &idx), E_IKE_NO_PROPOSAL);
}

TEST(ike_proposal_offer_roundtrip)
{
	struct model_tunnel_options o;
	static struct ike_sa_payload offer, back;
	struct ike_suite s;
	struct wbuf w;
	struct ike_builder b;
	struct ike_hdr h = {.spi_i = 1, .exchange = IKEV2_EXCH_IKE_SA_INIT};
	static struct ike_chain c;
	static struct ike_payloads p;
	size_t idx;

	default_opts(&o);
	ike_proposal_offer_ike(&o, 19, NULL, 0, &offer);
	CHECK_EQ(offer.nprop, 2); /* CBC and GCM never in one proposal */
	wbuf_init_dyn(&w, 256, 0);
	ike_build_hdr(&b, &w, &h);
	ike_sa_build(&b, &offer);
	CHECK_OK(ike_build_finish(&b));
	CHECK_OK(ike_msg_frame(w.data, w.len, &h, &c));
	ike_payloads_init(&p);
	CHECK_OK(ike_chain_decode(&c, &p));
	back = p.sa;
	CHECK_EQ(back.nprop, 2);
	CHECK_OK(ike_proposal_select_ike(&o, &back, &s, &idx));
	CHECK_EQ(s.dh, 2);
	/* a one-proposal answer reads back */
	ike_proposal_from_suite(&s, 1, IKEV2_PROTO_IKE, NULL, 0, &back);
	CHECK_OK(ike_proposal_read_answer(&back, IKEV2_PROTO_IKE, &s));
	CHECK_EQ(s.encr, 12);
	wbuf_free(&w);
}

static void sk_roundtrip(uint16_t encr, unsigned bits, uint16_t integ)
{
	uint8_t ekey[36], ikey[64], plain[2048];
	struct crypto_aead *a = NULL;
	struct wbuf inner, out;
	struct ike_builder b;
	struct ike_hdr h = {
	    .spi_i = 7, .spi_r = 9, .exchange = IKEV2_EXCH_INFORMATIONAL, .msg_id = 3};
	static struct ike_chain c, ic;
	static struct ike_payloads p;
	struct rbuf r;
	static const uint8_t nonce[20] = {1, 2, 3};

	memset(ekey, 0x11, sizeof(ekey));
	memset(ikey, 0x22, sizeof(ikey));
	CHECK_OK(crypto_aead_new(encr, bits, integ, ekey, crypto_encr_keymat_len(encr, bits), ikey,
	                         integ ? crypto_integ_key_len(integ) : 0, &a));
	wbuf_init_dyn(&inner, 64, 0);
	wbuf_init_dyn(&out, 64, 0);
	ike_inner_begin(&b, &inner);
	ike_nonce_build(&b, nonce, sizeof(nonce));
	ike_notify_build(&b, 0, NULL, 0, IKEV2_N_COOKIE, nonce, 4);
	CHECK_OK(ike_sk_seal(a, &h, &inner, &out));
	CHECK_OK(ike_msg_frame(out.data, out.len, &h, &c));
	CHECK(c.has_sk);
	CHECK_OK(ike_sk_open(a, out.data, out.len, &c, plain, sizeof(plain), &r));
	CHECK_OK(ike_chain_frame(&r, c.sk_first, &ic));
	ike_payloads_init(&p);
	CHECK_OK(ike_chain_decode(&ic, &p));
	CHECK_EQ(p.nonce_len, 20);
	CHECK(ike_payloads_notify(&p, IKEV2_N_COOKIE) != NULL);
	/* a flipped bit in the header (covered as AAD) or the ciphertext fails the ICV */
	out.data[20] ^= 1;
	CHECK_OK(ike_msg_frame(out.data, out.len, &h, &c));
	CHECK_ERR(ike_sk_open(a, out.data, out.len, &c, plain, sizeof(plain), &r), E_CRYPTO_AUTH);
	out.data[20] ^= 1;
	out.data[out.len - 20] ^= 1;
	CHECK_OK(ike_msg_frame(out.data, out.len, &h, &c));
	CHECK_ERR(ike_sk_open(a, out.data, out.len, &c, plain, sizeof(plain), &r), E_CRYPTO_AUTH);
	wbuf_free(&inner);
	wbuf_free(&out);
	crypto_aead_free(a);
}

TEST(ike_sk_gcm_and_cbc)
{
	sk_roundtrip(CRYPTO_ENCR_AES_GCM_16, 128, 0);
	sk_roundtrip(CRYPTO_ENCR_AES_GCM_16, 256, 0);
	sk_roundtrip(CRYPTO_ENCR_AES_CBC, 128, CRYPTO_INTEG_HMAC_SHA1_96);
	sk_roundtrip(CRYPTO_ENCR_AES_CBC, 256, CRYPTO_INTEG_HMAC_SHA2_512_256);
}

TEST(ike_sk_sample_short_body)
{
	/* an SK payload shorter than IV + ICV is refused before any decryption */
	static const uint8_t sk[] = {0x21, 0, 0, 8, 1, 2, 3, 4};
	uint8_t ekey[20] = {0}, plain[64];
	struct crypto_aead *a = NULL;
	struct ike_chain c;
	struct rbuf r;

	rbuf_init(&r, sk, sizeof(sk));
	CHECK_OK(ike_chain_frame(&r, IKEV2_PL_SK, &c));
	CHECK_OK(crypto_aead_new(CRYPTO_ENCR_AES_GCM_16, 128, 0, ekey, 20, NULL, 0, &a));
	CHECK_ERR(ike_sk_open(a, sk, sizeof(sk), &c, plain, sizeof(plain), &r), E_IKE_SYNTAX);
	crypto_aead_free(a);
}
