/*
 * test.h - the unit-test harness. Include it once per test program; it provides main().
 *
 *   TEST(buf_reads_u16) { ... CHECK(x == 1); CHECK_OK(rbuf_get_u16(&r, &v)); }
 *
 * Each test runs in order; a failed CHECK reports file:line and ends that test. The program
 * prints one line per test and closes with "N passed, N failed"; it exits non-zero on any
 * failure. Published vectors are read from $GH_SPEC_DIR/vectors (default ../shared/spec).
 */
#ifndef GH_TEST_H
#define GH_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/err.h"

struct test_case {
	const char *name;
	void (*fn)(void);
};

#define TEST_MAX 512
static struct test_case test_cases[TEST_MAX];
static unsigned test_ncases;
static int test_failed_flag;

static inline void test_register(const char *name, void (*fn)(void))
{
	if (test_ncases < TEST_MAX)
		test_cases[test_ncases++] = (struct test_case){name, fn};
}

#define TEST(name)                                                                                 \
	static void test_##name(void);                                                             \
	__attribute__((constructor)) static void test_reg_##name(void)                             \
	{                                                                                          \
		test_register(#name, test_##name);                                                 \
	}                                                                                          \
	static void test_##name(void)

#define TEST_FAIL(...)                                                                             \
	do {                                                                                       \
		fprintf(stderr, "    %s:%d: ", __FILE__, __LINE__);                                  \
		fprintf(stderr, __VA_ARGS__);                                                      \
		fprintf(stderr, "\n");                                                             \
		test_failed_flag = 1;                                                              \
		return;                                                                            \
	} while (0)

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond))                                                                       \
			TEST_FAIL("CHECK(%s) failed", #cond);                                      \
	} while (0)

#define CHECK_EQ(a, b)                                                                             \
	do {                                                                                       \
		long long check_a_ = (long long)(a), check_b_ = (long long)(b);                    \
		if (check_a_ != check_b_)                                                          \
			TEST_FAIL("%s == %s: %lld != %lld", #a, #b, check_a_, check_b_);          \
	} while (0)

#define CHECK_ERR(expr, want)                                                                      \
	do {                                                                                       \
		result_t check_rc_ = (expr);                                                       \
		if (check_rc_ != (want))                                                           \
			TEST_FAIL("%s: got %s, want %s", #expr, err_name(check_rc_),               \
				  err_name(want));                                                 \
	} while (0)

#define CHECK_OK(expr) CHECK_ERR(expr, E_OK)

#define CHECK_MEM(a, b, n)                                                                         \
	do {                                                                                       \
		if (memcmp((a), (b), (n)) != 0)                                                    \
			TEST_FAIL("%s and %s differ", #a, #b);                                     \
	} while (0)

#define CHECK_STR(a, b)                                                                            \
	do {                                                                                       \
		const char *check_sa_ = (a), *check_sb_ = (b);                                     \
		if (strcmp(check_sa_, check_sb_) != 0)                                             \
			TEST_FAIL("%s == %s: \"%s\" != \"%s\"", #a, #b, check_sa_, check_sb_);    \
	} while (0)

/* Path of a file under the spec folder (static buffer). */
static inline const char *test_spec_path(const char *rel)
{
	static char path[1024];
	const char *dir = getenv("GH_SPEC_DIR");

	snprintf(path, sizeof(path), "%s/%s", dir ? dir : "../shared/spec", rel);
	return path;
}

int main(int argc, char **argv)
{
	unsigned passed = 0, failed = 0;

	for (unsigned i = 0; i < test_ncases; i++) {
		if (argc > 1 && !strstr(test_cases[i].name, argv[1]))
			continue;
		test_failed_flag = 0;
		test_cases[i].fn();
		if (test_failed_flag) {
			failed++;
			printf("FAIL %s\n", test_cases[i].name);
		} else {
			passed++;
			printf("ok   %s\n", test_cases[i].name);
		}
	}
	printf("%u passed, %u failed\n", passed, failed);
	return failed ? 1 : 0;
}

#endif
