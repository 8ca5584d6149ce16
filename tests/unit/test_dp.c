/* test_dp.c - the data plane's tunnel MTU/MSS against the guide's table. Its inner-packet work
 * (MSS clamping, fragmentation, ICMP, TUN offloads) is src/inet, tested by test_inet.c; the
 * workers themselves are exercised end to end by tests/net/dp_esp_loop.sh. */
#include "test.h"

#include "dp/dp.h"

/* site-to-site.md 5.2, MTU / MSS by algorithm (G:1390-1400). */
TEST(dp_tunnel_mtu_matches_the_guide_table)
{
	static const struct {
		uint16_t encr, integ;
		bool natt;
		uint32_t mtu, mss4, mss6;
	} rows[] = {
		{CRYPTO_ENCR_AES_GCM_16, CRYPTO_INTEG_NONE, false, 1446, 1406, 1386},
		{CRYPTO_ENCR_AES_GCM_16, CRYPTO_INTEG_NONE, true, 1438, 1398, 1378},
		{CRYPTO_ENCR_AES_CBC, CRYPTO_INTEG_HMAC_SHA1_96, false, 1438, 1398, 1378},
		{CRYPTO_ENCR_AES_CBC, CRYPTO_INTEG_HMAC_SHA1_96, true, 1422, 1382, 1362},
		{CRYPTO_ENCR_AES_CBC, CRYPTO_INTEG_HMAC_SHA2_256_128, false, 1438, 1398, 1378},
		{CRYPTO_ENCR_AES_CBC, CRYPTO_INTEG_HMAC_SHA2_256_128, true, 1422, 1382, 1362},
		{CRYPTO_ENCR_AES_CBC, CRYPTO_INTEG_HMAC_SHA2_384_192, false, 1422, 1382, 1362},
		{CRYPTO_ENCR_AES_CBC, CRYPTO_INTEG_HMAC_SHA2_384_192, true, 1422, 1382, 1362},
		{CRYPTO_ENCR_AES_CBC, CRYPTO_INTEG_HMAC_SHA2_512_256, false, 1422, 1382, 1362},
		{CRYPTO_ENCR_AES_CBC, CRYPTO_INTEG_HMAC_SHA2_512_256, true, 1406, 1366, 1346},
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]) && !test_failed_flag; i++) {
		struct esp_sa_params p = {0};
		struct esp_sa *sa;
		uint32_t mtu;

		p.spi = 0x1000;
		p.dir = ESP_DIR_OUT;
		p.encr = rows[i].encr;
		p.key_bits = 128;
		p.integ = rows[i].integ;
		p.encr_key_len = crypto_encr_keymat_len(p.encr, 128);
		p.integ_key_len = rows[i].integ ? crypto_integ_key_len(p.integ) : 0;
		p.encap = rows[i].natt;
		CHECK_OK(addr_parse("192.0.2.2", &p.remote));
		CHECK_OK(esp_sa_new(&p, &sa));
		mtu = dp_tunnel_mtu(sa);
		CHECK_EQ(mtu, rows[i].mtu);
		CHECK_EQ(mtu - 40, rows[i].mss4);
		CHECK_EQ(mtu - 60, rows[i].mss6);
		/* and a full-size inner packet plus overhead is exactly an outer 1500 or less */
		CHECK(mtu + esp_sa_overhead(sa, mtu) + 20 + (rows[i].natt ? 8 : 0) <= 1500);
		esp_sa_free(sa);
	}
}
