/*
 * ike_proposal.h - proposal selection and construction from the tunnel options
 * (phase 1 lists for the IKE SA, phase 2 lists for CHILD SAs). Internal to src/ike.
 */
#ifndef GH_IKE_PROPOSAL_H
#define GH_IKE_PROPOSAL_H

#include "ike/ike_wire.h"
#include "model/tunnel.h"

/* One negotiated algorithm set (IANA transform IDs; 0 = none). */
struct ike_suite {
	uint16_t encr;
	uint16_t key_bits;
	uint16_t integ; /* 0 for AEAD */
	uint16_t prf;   /* IKE SA only */
	uint16_t dh;    /* 0: no (PFS) group */
	bool esn;       /* always false: we only offer and accept "no ESN" */
};

enum ike_prop_dh {
	IKE_PROP_DH_IGNORE,  /* IKE_AUTH CHILD SA: no KE, any DH transform is ignored */
	IKE_PROP_DH_NONE,    /* CREATE_CHILD_SA without KE: NONE or absent */
	IKE_PROP_DH_REQUIRE, /* with KE: a DH group from the configured list */
};

/* Select for an IKE SA (proto IKE) from the phase 1 lists. *index gets the chosen proposal.
 * E_IKE_NO_PROPOSAL when nothing matches. */
RESULT ike_proposal_select_ike(const struct model_tunnel_options *o,
                               const struct ike_sa_payload *sa, struct ike_suite *out,
                               size_t *index);
/* Select for a CHILD SA (proto ESP) from the phase 2 lists. */
RESULT ike_proposal_select_child(const struct model_tunnel_options *o,
                                 const struct ike_sa_payload *sa, enum ike_prop_dh dh,
                                 struct ike_suite *out, size_t *index);

/* Our offer as initiator: every configured algorithm, lowest configured value first.
 * For IKE, spi_len 0 (IKE_SA_INIT) or 8 (rekey); for ESP spi_len 4. `dh_first` (if nonzero
 * and allowed) is moved to the front of the DH list, so the KE we send matches it. For a
 * CHILD SA, pfs_dh 0 means no DH transform is offered. */
void ike_proposal_offer_ike(const struct model_tunnel_options *o, uint16_t dh_first,
                            const uint8_t *spi, size_t spi_len, struct ike_sa_payload *out);
void ike_proposal_offer_child(const struct model_tunnel_options *o, uint16_t pfs_dh, uint32_t spi,
                              struct ike_sa_payload *out);
/* The one-proposal answer of a responder. */
void ike_proposal_from_suite(const struct ike_suite *s, uint8_t num, uint8_t proto,
                             const uint8_t *spi, size_t spi_len, struct ike_sa_payload *out);
/* Read the suite of a one-proposal answer (and check it is one we offered via select). */
RESULT ike_proposal_read_answer(const struct ike_sa_payload *sa, uint8_t proto,
                                struct ike_suite *out);

/* The first DH group in the configured phase 1 / phase 2 list (lowest value). */
uint16_t ike_proposal_first_dh(uint32_t mask);
bool ike_proposal_dh_allowed(uint32_t mask, uint16_t group);
/* Human-readable "AES_CBC_128/HMAC_SHA1_96/PRF_HMAC_SHA1/MODP_1024" for logs. */
void ike_suite_format(const struct ike_suite *s, char *buf, size_t cap);

#endif
