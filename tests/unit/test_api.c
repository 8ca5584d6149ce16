/*
 * test_api.c - EC2 API request parsing: form decoding, the parameter map, list indexes, SigV4
 * (canonical request from the AWS documentation example; a full verify vector cross-checked
 * against an independent Python signer), the XML writer.
 */
#include <stdio.h>
#include <string.h>

#include "api/api_req.h"
#include "api/api_sigv4.h"
#include "test.h"

static result_t parse(const char *s, struct api_params *p, char *err, size_t errlen)
{
	struct rbuf r;

	rbuf_init(&r, s, strlen(s));
	return api_form_parse(&r, p, err, errlen);
}

TEST(form_decodes_plus_and_escapes)
{
	struct api_params p;
	char err[256];

	CHECK_OK(parse("Action=Describe&DeviceName=a%2Bb+c&Empty=&Bare&X=%E2%82%AC", &p, err,
	               sizeof(err)));
	CHECK_STR(api_param(&p, "Action"), "Describe");
	CHECK_STR(api_param(&p, "DeviceName"), "a+b c");
	CHECK_STR(api_param(&p, "Empty"), "");
	CHECK_STR(api_param(&p, "Bare"), "");
	CHECK_STR(api_param(&p, "X"), "\xe2\x82\xac");
	CHECK(api_param(&p, "Missing") == NULL);
	api_params_fini(&p);
}

TEST(form_rejects_bad_input)
{
	static const char *const bad[] = {
	    "a=%ZZ",
	    "a=%4",
	    "a=%",
	    "a=%00",
	    "a=%FF",
	    "a=%C0%80" /* overlong */,
	    "a=%ED%A0%80" /* surrogate */,
	    "a=1&a=2",
	    "=x",
	    "a%01=1",
	    "a=%01",
	};
	struct api_params p;
	char err[256];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = 0;
		if (parse(bad[i], &p, err, sizeof(err)) != E_API_FORM)
			TEST_FAIL("accepted '%s'", bad[i]);
		CHECK(err[0] != 0);
	}
	CHECK_OK(parse("a=tab%09nl%0Acr%0D", &p, err, sizeof(err)));
	api_params_fini(&p);
}

TEST(form_list_indexes_sparse)
{
	struct api_params p;
	uint32_t idx[8];
	char err[256];

	CHECK_OK(parse("Filter.10.Name=x&Filter.2.Name=y&Filter.2.Value.1=z&Filter.0.Name=q&"
	               "Filters.1=w&Filter.1x=v&Filter.3=u",
	               &p, err, sizeof(err)));
	CHECK_EQ(api_param_indices(&p, "Filter", idx, 8), 3);
	CHECK_EQ(idx[0], 2);
	CHECK_EQ(idx[1], 3);
	CHECK_EQ(idx[2], 10);
	CHECK_STR(api_paramf(&p, "Filter.%u.Value.%u", 2u, 1u), "z");
	api_params_fini(&p);
	CHECK_OK(parse("", &p, err, sizeof(err)));
	CHECK_EQ(p.n, 0);
	CHECK_EQ(api_param_indices(&p, "Filter", idx, 8), 0);
	api_params_fini(&p);
	CHECK_OK(parse("&&", &p, err, sizeof(err)));
	CHECK_EQ(p.n, 0);
	api_params_fini(&p);
}

/* AWS General Reference, "Create a canonical request" example (IAM ListUsers). */
static const char *doc_header(void *arg, const char *lname)
{
	(void)arg;
	if (strcmp(lname, "host") == 0)
		return "iam.amazonaws.com";
	if (strcmp(lname, "content-type") == 0)
		return "application/x-www-form-urlencoded;   charset=utf-8  ";
	if (strcmp(lname, "x-amz-date") == 0)
		return "20150830T123600Z";
	return NULL;
}

TEST(sigv4_canonical_request_doc_example)
{
	struct sigv4_input in = {"GET",      "/", "Version=2010-05-08&Action=ListUsers", NULL, 0,
	                         doc_header, NULL};
	struct sigv4_auth a;
	struct wbuf w;
	char err[256];

	CHECK_OK(
	    sigv4_parse_auth("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/"
	                     "aws4_request, SignedHeaders=content-type;host;x-amz-date, "
	                     "Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924"
	                     "a6f2b5d7",
	                     &a, err, sizeof(err)));
	CHECK_STR(a.access_key, "AKIDEXAMPLE");
	CHECK_STR(a.region, "us-east-1");
	CHECK_STR(a.service, "iam");
	wbuf_init_dyn(&w, 256, 0);
	CHECK_OK(sigv4_canonical_request(&in, &a, &w, err, sizeof(err)));
	CHECK_STR(wbuf_cstr(&w),
	          "GET\n/\nAction=ListUsers&Version=2010-05-08\n"
	          "content-type:application/x-www-form-urlencoded; charset=utf-8\n"
	          "host:iam.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
	          "content-type;host;x-amz-date\n"
	          "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	wbuf_free(&w);
}

/* Sorted by name, then value ("a" before "a-b" even though '-' < '='). */
TEST(sigv4_canonical_query_encoding)
{
	struct wbuf w;

	wbuf_init_dyn(&w, 64, 0);
	CHECK_OK(sigv4_canonical_query("b=2&a=x%2fy&c&a=%7E~ %41&a-b=1", &w));
	CHECK_STR(wbuf_cstr(&w), "a=x%2Fy&a=~~%20A&a-b=1&b=2&c=");
	wbuf_reset(&w);
	CHECK_OK(sigv4_canonical_query("&&", &w));
	CHECK_EQ(w.len, 0);
	wbuf_free(&w);
}

struct vec_hdrs {
	const char *auth;
	const char *date;
};

static const char *vec_header(void *arg, const char *lname)
{
	const struct vec_hdrs *h = arg;

	if (strcmp(lname, "host") == 0)
		return "127.0.0.1:5000";
	if (strcmp(lname, "content-type") == 0)
		return "application/x-www-form-urlencoded; charset=utf-8";
	if (strcmp(lname, "x-amz-date") == 0)
		return h->date;
	if (strcmp(lname, "authorization") == 0)
		return h->auth;
	return NULL;
}

#define VEC_BODY "Action=DescribeVpcs&Version=2016-11-15"
#define VEC_AUTH                                                                                   \
	"AWS4-HMAC-SHA256 Credential=test/20261124/us-east-1/ec2/aws4_request, "                   \
	"SignedHeaders=content-type;host;x-amz-date, "                                             \
	"Signature=c67dc3b5096fe81ac6a0ae52c538b8ebc530307b8ae4744fcfa2395fcef9c9ee"

static result_t verify(const char *auth, const char *body, const char *sk, int64_t now,
                       struct api_resp *rs)
{
	struct vec_hdrs h = {auth, "20261124T120000Z"};
	struct sigv4_input in = {"POST",       "/",        NULL, (const uint8_t *)body,
	                         strlen(body), vec_header, &h};
	struct sigv4_keys k = {"test", sk, "us-east-1"};

	memset(rs, 0, sizeof(*rs));
	return sigv4_verify(&in, &k, now, rs);
}

TEST(sigv4_verify_vector_and_failures)
{
	struct api_resp rs;
	int64_t t;

	CHECK_OK(sigv4_parse_amz_date("20261124T120000Z", &t));
	CHECK_EQ(t, 1795521600);
	CHECK_OK(verify(VEC_AUTH, VEC_BODY, "test", t + 60, &rs));
	CHECK_ERR(verify(VEC_AUTH, VEC_BODY "&x=1", "test", t, &rs), E_API);
	CHECK_STR(rs.code, "SignatureDoesNotMatch");
	CHECK_ERR(verify(VEC_AUTH, VEC_BODY, "other", t, &rs), E_API);
	CHECK_STR(rs.code, "SignatureDoesNotMatch");
	CHECK_ERR(verify(VEC_AUTH, VEC_BODY, "test", t + 16 * 60, &rs), E_API);
	CHECK_STR(rs.code, "RequestExpired");
	CHECK_ERR(verify(NULL, VEC_BODY, "test", t, &rs), E_API);
	CHECK_STR(rs.code, "MissingAuthenticationToken");
	CHECK_ERR(verify("AWS4-HMAC-SHA256 Credential=test/20261124/us-east-1/ec2/aws4_request",
	                 VEC_BODY, "test", t, &rs),
	          E_API);
	CHECK_STR(rs.code, "IncompleteSignature");
	CHECK_ERR(verify("AWS4-HMAC-SHA1 x", VEC_BODY, "test", t, &rs), E_API);
	CHECK_STR(rs.code, "IncompleteSignature");
	CHECK_ERR(sigv4_parse_amz_date("20261324T120000Z", &t), E_PARSE);
	CHECK_ERR(sigv4_parse_amz_date("20261124 120000Z", &t), E_PARSE);
}

TEST(xml_writer_escapes_and_nests)
{
	struct wbuf w;
	struct xml x;

	wbuf_init_dyn(&w, 64, 0);
	xml_init(&x, &w);
	xml_open(&x, "tagSet");
	xml_open(&x, "item");
	xml_str(&x, "key", "a<b>&\"c'\r");
	xml_str(&x, "skipped", NULL);
	xml_bool(&x, "main", true);
	xml_u64(&x, "asn", 4294967294ULL);
	xml_close(&x);
	xml_close(&x);
	CHECK_OK(wbuf_result(&w));
	CHECK_STR(wbuf_cstr(&w), "<tagSet><item><key>a&lt;b&gt;&amp;&quot;c&apos;&#13;</key>"
	                         "<main>true</main><asn>4294967294</asn></item></tagSet>");
	xml_close(&x); /* one close too many is an error, not a crash */
	CHECK_ERR(wbuf_result(&w), E_INVAL);
	wbuf_free(&w);
}

static void req_from(struct api_req *rq, const char *form)
{
	struct rbuf r;
	char err[128];

	memset(rq, 0, sizeof(*rq));
	rq->action = "DescribeThings";
	rbuf_init(&r, form, strlen(form));
	if (api_form_parse(&r, &rq->params, err, sizeof(err)) != E_OK)
		memset(&rq->params, 0, sizeof(rq->params));
}

TEST(filters_match_tags_wildcards)
{
	static const char *const allowed[] = {"state", "ip-address", NULL};
	struct store_tag tv[] = {{"Name", "site-a"}, {"env", "prod"}};
	struct store_tags tags = {tv, 2};
	struct api_attr attrs[] = {{"state", "available"}, {"ip-address", "203.0.113.7"}};
	struct api_filters f;
	struct api_req rq;
	struct api_resp rs;

	memset(&rs, 0, sizeof(rs));
	req_from(&rq, "Filter.1.Name=state&Filter.1.Value.1=pending&Filter.1.Value.2=avail*&"
	              "Filter.4.Name=tag%3AName&Filter.4.Value.3=site-%3F&"
	              "Filter.5.Name=tag-key&Filter.5.Value.1=env");
	CHECK_OK(api_filters_parse(&rq, &rs, allowed, &f));
	CHECK_EQ(f.n, 3);
	CHECK(api_filters_match(&f, attrs, 2, &tags));
	attrs[0].value = "deleted";
	CHECK(!api_filters_match(&f, attrs, 2, &tags));
	api_filters_fini(&f);
	api_params_fini(&rq.params);

	req_from(&rq, "Filter.1.Name=bogus&Filter.1.Value.1=x");
	CHECK_ERR(api_filters_parse(&rq, &rs, allowed, &f), E_API);
	CHECK_STR(rs.code, "InvalidParameterValue");
	api_params_fini(&rq.params);
	req_from(&rq, "Filter.1.Name=state");
	CHECK_ERR(api_filters_parse(&rq, &rs, allowed, &f), E_API);
	api_params_fini(&rq.params);
}

TEST(pagination_tokens_round_trip)
{
	static const char *const keys[] = {"a", "b", "c", "d", "e", "f", "g"};
	char form[256];
	struct api_req rq;
	struct api_resp rs;
	struct api_page pg;
	struct wbuf w;
	struct xml x;
	size_t i, seen = 0, pages = 0;
	const char *tok = NULL;
	char token[128] = "";

	memset(&rs, 0, sizeof(rs));
	do {
		snprintf(form, sizeof(form), "MaxResults=5%s%s", token[0] ? "&NextToken=" : "",
		         token);
		req_from(&rq, form);
		CHECK_OK(api_page_parse(&rq, &rs, 5, 1000, &pg));
		for (i = 0; i < 7; i++)
			if (api_page_take(&pg, keys[i]))
				seen++;
		wbuf_init_dyn(&w, 64, 0);
		xml_init(&x, &w);
		api_page_finish(&pg, &x);
		tok = strstr(wbuf_cstr(&w), "<nextToken>");
		token[0] = 0;
		if (tok)
			sscanf(tok, "<nextToken>%127[^<]", token);
		wbuf_free(&w);
		api_params_fini(&rq.params);
		pages++;
	} while (token[0] && pages < 10);
	CHECK_EQ(seen, 7);
	CHECK_EQ(pages, 2);
	req_from(&rq, "MaxResults=4");
	CHECK_ERR(api_page_parse(&rq, &rs, 5, 1000, &pg), E_API);
	api_params_fini(&rq.params);
	req_from(&rq, "NextToken=gh1zz");
	CHECK_ERR(api_page_parse(&rq, &rs, 5, 1000, &pg), E_API);
	CHECK_STR(rs.code, "InvalidNextToken");
	api_params_fini(&rq.params);
}
