/*
 * err.h - the one result type.
 *
 * Every fallible function returns `result_t` (an enum err). The compiler refuses to let a caller
 * ignore it (warn_unused_result is on the typedef through the RESULT macro). Names, subsystems
 * and messages come from errors.def, the single registry.
 */
#ifndef GH_LIB_ERR_H
#define GH_LIB_ERR_H

enum err {
#define X(name, subsys, msg) name,
#include "errors.def"
#undef X
	E__COUNT
};

typedef enum err result_t;

/* Use on every declaration of a function that returns result_t. */
#define RESULT __attribute__((warn_unused_result)) result_t

/* Return the error to the caller when an expression fails. */
#define GUARD(expr)                                                                                \
	do {                                                                                       \
		result_t guard_rc_ = (expr);                                                       \
		if (guard_rc_ != E_OK)                                                           \
			return guard_rc_;                                                          \
	} while (0)

/* Set rc and jump to the function's single `out:` label when an expression fails. */
#define GUARD_OUT(rc, expr)                                                                        \
	do {                                                                                       \
		(rc) = (expr);                                                                     \
		if ((rc) != E_OK)                                                                \
			goto out;                                                                  \
	} while (0)

const char *err_name(result_t e);
const char *err_subsys(result_t e);
const char *err_msg(result_t e);

#endif
