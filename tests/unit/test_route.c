/* test_route.c - the LPM trie against a naive linear table, with random prefixes. */
#include <arpa/inet.h>

#include "route/route.h"
#include "test.h"

static struct prefix pfx(const char *s)
{
	struct prefix p;

	if (prefix_parse(s, true, &p) != E_OK)
		abort();
	prefix_normalize(&p);
	return p;
}

static struct addr ad(const char *s)
{
	struct addr a;

	if (addr_parse(s, &a) != E_OK)
		abort();
	return a;
}

TEST(route_basic_lpm)
{
	struct route_table *t;
	struct prefix p8 = pfx("10.0.0.0/8"), p16 = pfx("10.1.0.0/16"), p0 = pfx("0.0.0.0/0");
	struct addr a = ad("10.1.2.3"), b = ad("10.2.0.1"), c = ad("192.0.2.1");
	const struct route_entry *e;

	CHECK_OK(route_table_new(&t));
	CHECK(route_lookup(t, &a) == NULL);
	CHECK_OK(route_add(t, &p8, 1, 100));
	CHECK_OK(route_add(t, &p16, 2, 100));
	CHECK_ERR(route_add(t, &p16, 2, 50), E_EXISTS);
	e = route_lookup(t, &a);
	CHECK(e && e->paths[0].tunnel == 2);
	e = route_lookup(t, &b);
	CHECK(e && e->paths[0].tunnel == 1);
	CHECK(route_lookup(t, &c) == NULL);
	CHECK_OK(route_add(t, &p0, 3, 100));
	e = route_lookup(t, &c);
	CHECK(e && e->paths[0].tunnel == 3 && e->prefix.len == 0);
	CHECK_OK(route_remove(t, &p16, 2));
	CHECK_ERR(route_remove(t, &p16, 2), E_NOTFOUND);
	e = route_lookup(t, &a);
	CHECK(e && e->paths[0].tunnel == 1);
	CHECK_EQ(route_count(t), 2);
	route_table_free(t);
}

TEST(route_priority_and_failover_paths)
{
	struct route_table *t;
	struct prefix p = pfx("172.16.0.0/12");
	struct addr a = ad("172.20.1.1");
	const struct route_entry *e;

	CHECK_OK(route_table_new(&t));
	CHECK_OK(route_add(t, &p, 7, 200));
	CHECK_OK(route_add(t, &p, 8, 100));
	CHECK_OK(route_add(t, &p, 9, 150));
	e = route_lookup(t, &a);
	CHECK(e && e->npaths == 3);
	CHECK_EQ(e->paths[0].tunnel, 8);
	CHECK_EQ(e->paths[1].tunnel, 9);
	CHECK_EQ(e->paths[2].tunnel, 7);
	CHECK_OK(route_add(t, &p, 10, 1));
	CHECK_ERR(route_add(t, &p, 11, 1), E_RANGE);
	CHECK_EQ(route_remove_tunnel(t, 8), 1);
	e = route_lookup(t, &a);
	CHECK(e && e->npaths == 3 && e->paths[0].tunnel == 10);
	route_table_free(t);
}

TEST(route_ipv6_and_bad_prefix)
{
	struct route_table *t;
	struct prefix p = pfx("2001:db8::/32"), h = pfx("2001:db8::1/128");
	struct prefix bad = p;
	struct addr a = ad("2001:db8::1"), b = ad("2001:db8::2"), v4 = ad("32.1.13.184");
	const struct route_entry *e;

	bad.len = 129;
	CHECK_OK(route_table_new(&t));
	CHECK_ERR(route_add(t, &bad, 1, 1), E_INVAL);
	CHECK_OK(route_add(t, &p, 1, 1));
	CHECK_OK(route_add(t, &h, 2, 1));
	e = route_lookup(t, &a);
	CHECK(e && e->paths[0].tunnel == 2 && e->prefix.len == 128);
	e = route_lookup(t, &b);
	CHECK(e && e->paths[0].tunnel == 1);
	/* same leading bits, other family: no match */
	CHECK(route_lookup(t, &v4) == NULL);
	route_table_free(t);
}

/* --- random comparison with a naive linear table (WireGuard allowedips selftest style) --- */

#define NAIVE_MAX 4096
struct naive {
	struct prefix p[NAIVE_MAX];
	uint32_t tunnel[NAIVE_MAX];
	size_t n;
};


static int naive_lookup(const struct naive *nv, const struct addr *a, uint32_t *tunnel)
{
	int best = -1;

	for (size_t i = 0; i < nv->n; i++)
		if (prefix_contains(&nv->p[i], a) && (best < 0 || nv->p[i].len > nv->p[best].len))
			best = (int)i;
	if (best >= 0)
		*tunnel = nv->tunnel[best];
	return best;
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint32_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 16);
}

static void rand_addr(struct addr *a, uint8_t family)
{
	memset(a, 0, sizeof(*a));
	a->family = family;
	for (unsigned i = 0; i < (family == AF_INET ? 4u : 16u); i++)
		a->bytes[i] = (uint8_t)rnd();
	/* keep the space small so prefixes nest and collide often */
	a->bytes[0] &= 0x3;
	if (family == AF_INET6)
		a->bytes[1] &= 0x3;
}

static void random_round(uint8_t family, size_t nprefixes, size_t nlookups, int *bad)
{
	static struct naive nv;
	struct route_table *t, *clone;
	unsigned bits = family == AF_INET ? 32 : 128;

	nv.n = 0;
	if (route_table_new(&t) != E_OK)
		abort();
	for (size_t i = 0; i < nprefixes; i++) {
		struct prefix p;
		bool dup = false;

		rand_addr(&p.addr, family);
		p.len = (uint8_t)(rnd() % (bits + 1));
		prefix_normalize(&p);
		for (size_t j = 0; j < nv.n; j++)
			dup |= prefix_equal(&nv.p[j], &p);
		if (dup)
			continue;
		nv.p[nv.n] = p;
		nv.tunnel[nv.n] = (uint32_t)i + 1;
		nv.n++;
		if (route_add(t, &p, (uint32_t)i + 1, 0) != E_OK)
			(*bad)++;
	}
	/* remove a third again, both ways */
	for (size_t j = 0; j < nv.n; j += 3) {
		if (route_remove(t, &nv.p[j], nv.tunnel[j]) != E_OK)
			(*bad)++;
		nv.p[j] = nv.p[nv.n - 1];
		nv.tunnel[j] = nv.tunnel[nv.n - 1];
		nv.n--;
	}
	if (route_count(t) != nv.n)
		(*bad)++;
	if (route_table_clone(t, &clone) != E_OK)
		abort();
	route_table_free(t);
	for (size_t i = 0; i < nlookups; i++) {
		struct addr a;
		uint32_t want = 0;
		const struct route_entry *e;

		rand_addr(&a, family);
		/* half the lookups inside a known prefix */
		if (nv.n && (i & 1)) {
			const struct prefix *p = &nv.p[rnd() % nv.n];

			for (unsigned b = 0; b < p->len; b++) {
				unsigned m = 0x80u >> (b & 7);

				a.bytes[b >> 3] = (uint8_t)((a.bytes[b >> 3] & ~m) |
							    (p->addr.bytes[b >> 3] & m));
			}
		}
		e = route_lookup(clone, &a);
		if (naive_lookup(&nv, &a, &want) < 0) {
			if (e)
				(*bad)++;
		} else if (!e || e->paths[0].tunnel != want) {
			(*bad)++;
		}
	}
	route_table_free(clone);
}

TEST(route_random_vs_naive_v4)
{
	int bad = 0;

	for (int round = 0; round < 20; round++)
		random_round(AF_INET, 600, 4000, &bad);
	CHECK_EQ(bad, 0);
}

TEST(route_random_vs_naive_v6)
{
	int bad = 0;

	for (int round = 0; round < 10; round++)
		random_round(AF_INET6, 600, 4000, &bad);
	CHECK_EQ(bad, 0);
}

static void count_cb(void *arg, const struct route_entry *e)
{
	size_t *n = arg;

	*n += e->npaths;
}

TEST(route_walk_visits_every_entry)
{
	struct route_table *t;
	struct prefix a = pfx("10.0.0.0/8"), b = pfx("10.1.0.0/16"), c = pfx("2001:db8::/32");
	size_t n = 0;

	CHECK_OK(route_table_new(&t));
	CHECK_OK(route_add(t, &a, 1, 1));
	CHECK_OK(route_add(t, &a, 2, 2));
	CHECK_OK(route_add(t, &b, 1, 1));
	CHECK_OK(route_add(t, &c, 3, 1));
	route_walk(t, count_cb, &n);
	CHECK_EQ(n, 4);
	route_table_free(t);
}
