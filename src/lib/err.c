#include "err.h"

struct err_entry {
	const char *name;
	const char *subsys;
	const char *msg;
};

static const struct err_entry err_table[E__COUNT] = {
#define X(name, subsys, msg) [name] = {#name, subsys, msg},
#include "errors.def"
#undef X
};

static const struct err_entry *err_lookup(result_t e)
{
	static const struct err_entry unknown = {"E_UNKNOWN", "lib", "unknown error"};

	if ((unsigned)e >= E__COUNT)
		return &unknown;
	return &err_table[e];
}

const char *err_name(result_t e)
{
	return err_lookup(e)->name;
}

const char *err_subsys(result_t e)
{
	return err_lookup(e)->subsys;
}

const char *err_msg(result_t e)
{
	return err_lookup(e)->msg;
}
