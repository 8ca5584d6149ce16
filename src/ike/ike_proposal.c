/*
 * ike_proposal.c - proposal selection (RFC 7296 2.7, 3.3.6) with the AWS ordering rule.
 *
 * AWS rule (site-to-site.md section 2, G:327): the endpoints "evaluate proposals from your
 * customer gateway starting with the lowest configured value from the list below, regardless of
 * the proposal order from the customer gateway". We read this precisely as: our configured
 * lists are ordered as the guide lists them (encryption AES128, AES256, AES128-GCM-16,
 * AES256-GCM-16; integrity SHA1, SHA2-256, SHA2-384, SHA2-512; DH groups ascending: 2, 5,
 * 14..24). We walk the combinations in that order - encryption first, then integrity, then the
 * PRF (same hash order as integrity), then the DH group - and take the first combination that
 * some proposal of the peer contains in full, whatever its proposal number. So a peer offering
 * [AES256, AES128] gets AES128 when both are allowed. Consequence: when the peer's KE group is
 * not the chosen group we answer INVALID_KE_PAYLOAD naming the chosen one (RFC 7296 1.2), and
 * the peer retries - the same behaviour as the AWS endpoints, which prefer the lowest group.
 */
#include "ike/ike_proposal.h"

#include <stdio.h>
#include <string.h>

#include "crypto/crypto.h"

static const struct {
	uint16_t id;
	uint16_t bits;
} ike_encr_map[MODEL_ENCR__COUNT] = {
    [MODEL_ENCR_AES128] = {CRYPTO_ENCR_AES_CBC, 128},
    [MODEL_ENCR_AES256] = {CRYPTO_ENCR_AES_CBC, 256},
    [MODEL_ENCR_AES128_GCM16] = {CRYPTO_ENCR_AES_GCM_16, 128},
    [MODEL_ENCR_AES256_GCM16] = {CRYPTO_ENCR_AES_GCM_16, 256},
};

static const uint16_t ike_integ_map[MODEL_INTEG__COUNT] = {
    [MODEL_INTEG_SHA1] = CRYPTO_INTEG_HMAC_SHA1_96,
    [MODEL_INTEG_SHA2_256] = CRYPTO_INTEG_HMAC_SHA2_256_128,
    [MODEL_INTEG_SHA2_384] = CRYPTO_INTEG_HMAC_SHA2_384_192,
    [MODEL_INTEG_SHA2_512] = CRYPTO_INTEG_HMAC_SHA2_512_256,
};

static const uint16_t ike_prf_map[MODEL_INTEG__COUNT] = {
    [MODEL_INTEG_SHA1] = CRYPTO_PRF_HMAC_SHA1,
    [MODEL_INTEG_SHA2_256] = CRYPTO_PRF_HMAC_SHA2_256,
    [MODEL_INTEG_SHA2_384] = CRYPTO_PRF_HMAC_SHA2_384,
    [MODEL_INTEG_SHA2_512] = CRYPTO_PRF_HMAC_SHA2_512,
};

#define IKE_DH_MAX_GROUP 31

uint16_t ike_proposal_first_dh(uint32_t mask)
{
	for (uint16_t g = 1; g <= IKE_DH_MAX_GROUP; g++)
		if (mask & MODEL_DH_MASK(g))
			return g;
	return 0;
}

bool ike_proposal_dh_allowed(uint32_t mask, uint16_t group)
{
	return group >= 1 && group <= IKE_DH_MAX_GROUP && (mask & MODEL_DH_MASK(group));
}

static bool prop_has(const struct ike_proposal *p, uint8_t type, uint16_t id, uint16_t bits)
{
	for (size_t i = 0; i < p->ntrans; i++)
		if (p->trans[i].type == type && p->trans[i].id == id &&
		    p->trans[i].key_bits == bits)
			return true;
	return false;
}

static bool prop_has_type(const struct ike_proposal *p, uint8_t type, bool ignore_none)
{
	for (size_t i = 0; i < p->ntrans; i++)
		if (p->trans[i].type == type && !(ignore_none && p->trans[i].id == 0))
			return true;
	return false;
}

/* Does proposal p contain every transform of s (and nothing it must not have)? */
static bool prop_matches(const struct ike_proposal *p, const struct ike_suite *s, bool ike,
                         enum ike_prop_dh dh)
{
	if (!prop_has(p, IKEV2_TRANS_ENCR, s->encr, s->key_bits))
		return false;
	if (s->integ ? !prop_has(p, IKEV2_TRANS_INTEG, s->integ, 0)
	             : prop_has_type(p, IKEV2_TRANS_INTEG, true))
		return false; /* RFC 5282 8: AEAD proposals carry no (or NONE) integrity */
	if (ike && !prop_has(p, IKEV2_TRANS_PRF, s->prf, 0))
		return false;
	if (dh == IKE_PROP_DH_REQUIRE && !prop_has(p, IKEV2_TRANS_DH, s->dh, 0))
		return false;
	if (dh == IKE_PROP_DH_NONE && prop_has_type(p, IKEV2_TRANS_DH, true) &&
	    !prop_has(p, IKEV2_TRANS_DH, 0, 0))
		return false;
	/* RFC 7296 3.3.2: ESN is in ESP proposals; we take "no ESN" */
	if (!ike && prop_has_type(p, IKEV2_TRANS_ESN, false) && !prop_has(p, IKEV2_TRANS_ESN, 0, 0))
		return false;
	return true;
}

static bool find_prop(const struct ike_sa_payload *sa, uint8_t proto, const struct ike_suite *s,
                      enum ike_prop_dh dh, size_t *index)
{
	for (size_t i = 0; i < sa->nprop; i++) {
		if (sa->prop[i].proto != proto)
			continue;
		if (prop_matches(&sa->prop[i], s, proto == IKEV2_PROTO_IKE, dh)) {
			*index = i;
			return true;
		}
	}
	return false;
}

/* Try every DH group of the list (lowest first) for a fixed encr/integ/prf. */
static bool try_dh(const struct ike_sa_payload *sa, uint8_t proto, uint32_t dh_mask,
                   enum ike_prop_dh dh, struct ike_suite *s, size_t *index)
{
	if (dh != IKE_PROP_DH_REQUIRE) {
		s->dh = 0;
		return find_prop(sa, proto, s, dh, index);
	}
	for (uint16_t g = 1; g <= IKE_DH_MAX_GROUP; g++) {
		if (!(dh_mask & MODEL_DH_MASK(g)) || !crypto_dh_supported(g))
			continue;
		s->dh = g;
		if (find_prop(sa, proto, s, dh, index))
			return true;
	}
	return false;
}

static bool try_prf(const struct ike_sa_payload *sa, uint8_t proto, uint32_t integ_mask,
                    uint32_t dh_mask, enum ike_prop_dh dh, struct ike_suite *s, size_t *index)
{
	if (proto != IKEV2_PROTO_IKE) {
		s->prf = 0;
		return try_dh(sa, proto, dh_mask, dh, s, index);
	}
	for (unsigned k = 0; k < MODEL_INTEG__COUNT; k++) {
		if (!(integ_mask & (1u << k)))
			continue;
		s->prf = ike_prf_map[k];
		if (try_dh(sa, proto, dh_mask, dh, s, index))
			return true;
	}
	return false;
}

static RESULT select_common(uint32_t encr_mask, uint32_t integ_mask, uint32_t dh_mask,
                            const struct ike_sa_payload *sa, uint8_t proto, enum ike_prop_dh dh,
                            struct ike_suite *out, size_t *index)
{
	struct ike_suite s;

	memset(&s, 0, sizeof(s));
	for (unsigned e = 0; e < MODEL_ENCR__COUNT; e++) {
		if (!(encr_mask & (1u << e)))
			continue;
		s.encr = ike_encr_map[e].id;
		s.key_bits = ike_encr_map[e].bits;
		if (s.encr == CRYPTO_ENCR_AES_GCM_16) {
			s.integ = 0;
			if (try_prf(sa, proto, integ_mask, dh_mask, dh, &s, index))
				goto found;
			continue;
		}
		for (unsigned i = 0; i < MODEL_INTEG__COUNT; i++) {
			if (!(integ_mask & (1u << i)))
				continue;
			s.integ = ike_integ_map[i];
			if (try_prf(sa, proto, integ_mask, dh_mask, dh, &s, index))
				goto found;
		}
	}
	return E_IKE_NO_PROPOSAL;
found:
	*out = s;
	return E_OK;
}

RESULT ike_proposal_select_ike(const struct model_tunnel_options *o,
                               const struct ike_sa_payload *sa, struct ike_suite *out,
                               size_t *index)
{
	return select_common(o->phase1_encr, o->phase1_integ, o->phase1_dh, sa, IKEV2_PROTO_IKE,
	                     IKE_PROP_DH_REQUIRE, out, index);
}

RESULT ike_proposal_select_child(const struct model_tunnel_options *o,
                                 const struct ike_sa_payload *sa, enum ike_prop_dh dh,
                                 struct ike_suite *out, size_t *index)
{
	return select_common(o->phase2_encr, o->phase2_integ, o->phase2_dh, sa, IKEV2_PROTO_ESP, dh,
	                     out, index);
}

static void add_trans(struct ike_proposal *p, uint8_t type, uint16_t id, uint16_t bits)
{
	if (p->ntrans < IKE_MAX_TRANSFORMS)
		p->trans[p->ntrans++] = (struct ike_transform){type, id, bits};
}

static void add_dh_list(struct ike_proposal *p, uint32_t mask, uint16_t first)
{
	if (first && ike_proposal_dh_allowed(mask, first))
		add_trans(p, IKEV2_TRANS_DH, first, 0);
	for (uint16_t g = 1; g <= IKE_DH_MAX_GROUP; g++)
		if ((mask & MODEL_DH_MASK(g)) && g != first && crypto_dh_supported(g))
			add_trans(p, IKEV2_TRANS_DH, g, 0);
}

/* One proposal for the CBC ciphers, one for the AEAD ones (RFC 5282 8: never mixed). */
static void offer(uint32_t encr_mask, uint32_t integ_mask, bool ike, uint32_t dh_mask,
                  uint16_t dh_first, uint8_t proto, const uint8_t *spi, size_t spi_len,
                  struct ike_sa_payload *out)
{
	memset(out, 0, sizeof(*out));
	for (int aead = 0; aead <= 1; aead++) {
		struct ike_proposal *p = &out->prop[out->nprop];

		memset(p, 0, sizeof(*p));
		for (unsigned e = 0; e < MODEL_ENCR__COUNT; e++)
			if ((encr_mask & (1u << e)) &&
			    (ike_encr_map[e].id == CRYPTO_ENCR_AES_GCM_16) == (aead == 1))
				add_trans(p, IKEV2_TRANS_ENCR, ike_encr_map[e].id,
				          ike_encr_map[e].bits);
		if (p->ntrans == 0)
			continue;
		for (unsigned i = 0; i < MODEL_INTEG__COUNT; i++) {
			if (!(integ_mask & (1u << i)))
				continue;
			if (!aead)
				add_trans(p, IKEV2_TRANS_INTEG, ike_integ_map[i], 0);
			if (ike)
				add_trans(p, IKEV2_TRANS_PRF, ike_prf_map[i], 0);
		}
		if (dh_mask)
			add_dh_list(p, dh_mask, dh_first);
		if (!ike)
			add_trans(p, IKEV2_TRANS_ESN, 0, 0);
		p->num = (uint8_t)(out->nprop + 1);
		p->proto = proto;
		p->spi_len = (uint8_t)spi_len;
		if (spi_len)
			memcpy(p->spi, spi, spi_len);
		out->nprop++;
	}
}

void ike_proposal_offer_ike(const struct model_tunnel_options *o, uint16_t dh_first,
                            const uint8_t *spi, size_t spi_len, struct ike_sa_payload *out)
{
	offer(o->phase1_encr, o->phase1_integ, true, o->phase1_dh, dh_first, IKEV2_PROTO_IKE, spi,
	      spi_len, out);
}

void ike_proposal_offer_child(const struct model_tunnel_options *o, uint16_t pfs_dh, uint32_t spi,
                              struct ike_sa_payload *out)
{
	uint8_t b[4] = {(uint8_t)(spi >> 24), (uint8_t)(spi >> 16), (uint8_t)(spi >> 8),
	                (uint8_t)spi};

	offer(o->phase2_encr, o->phase2_integ, false, pfs_dh ? MODEL_DH_MASK(pfs_dh) : 0, pfs_dh,
	      IKEV2_PROTO_ESP, b, 4, out);
}

void ike_proposal_from_suite(const struct ike_suite *s, uint8_t num, uint8_t proto,
                             const uint8_t *spi, size_t spi_len, struct ike_sa_payload *out)
{
	struct ike_proposal *p = &out->prop[0];

	memset(out, 0, sizeof(*out));
	out->nprop = 1;
	p->num = num;
	p->proto = proto;
	p->spi_len = (uint8_t)spi_len;
	if (spi_len)
		memcpy(p->spi, spi, spi_len);
	add_trans(p, IKEV2_TRANS_ENCR, s->encr, s->key_bits);
	if (s->integ)
		add_trans(p, IKEV2_TRANS_INTEG, s->integ, 0);
	if (s->prf)
		add_trans(p, IKEV2_TRANS_PRF, s->prf, 0);
	if (s->dh)
		add_trans(p, IKEV2_TRANS_DH, s->dh, 0);
	if (proto == IKEV2_PROTO_ESP)
		add_trans(p, IKEV2_TRANS_ESN, 0, 0);
}

/* RFC 7296 3.3.6: the responder answers with exactly one proposal, one transform per type. */
RESULT ike_proposal_read_answer(const struct ike_sa_payload *sa, uint8_t proto,
                                struct ike_suite *out)
{
	const struct ike_proposal *p = &sa->prop[0];
	bool seen[6] = {false};

	memset(out, 0, sizeof(*out));
	if (sa->nprop != 1 || p->proto != proto)
		return E_IKE_NO_PROPOSAL;
	for (size_t i = 0; i < p->ntrans; i++) {
		const struct ike_transform *t = &p->trans[i];

		if (t->type == 0 || t->type > IKEV2_TRANS_ESN || seen[t->type])
			return E_IKE_NO_PROPOSAL;
		seen[t->type] = true;
		if (t->type == IKEV2_TRANS_ENCR) {
			out->encr = t->id;
			out->key_bits = t->key_bits;
		} else if (t->type == IKEV2_TRANS_INTEG) {
			out->integ = t->id;
		} else if (t->type == IKEV2_TRANS_PRF) {
			out->prf = t->id;
		} else if (t->type == IKEV2_TRANS_DH) {
			out->dh = t->id;
		} else if (t->id != 0) {
			return E_IKE_NO_PROPOSAL; /* ESN on: never offered */
		}
	}
	if (!seen[IKEV2_TRANS_ENCR] || (proto == IKEV2_PROTO_IKE && !seen[IKEV2_TRANS_PRF]))
		return E_IKE_NO_PROPOSAL;
	return E_OK;
}

static const char *encr_name(uint16_t id)
{
	return id == CRYPTO_ENCR_AES_CBC      ? "AES_CBC"
	       : id == CRYPTO_ENCR_AES_GCM_16 ? "AES_GCM_16"
	                                      : "?";
}

void ike_suite_format(const struct ike_suite *s, char *buf, size_t cap)
{
	snprintf(buf, cap, "%s_%u/integ %u/prf %u/dh %u", encr_name(s->encr), s->key_bits, s->integ,
	         s->prf, s->dh);
}
