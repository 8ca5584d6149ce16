/* cvpn/cvpn_int.h - helpers shared by the cvpn files. */
#ifndef GH_CVPN_INT_H
#define GH_CVPN_INT_H

#include "cvpn/cvpn.h"

/* Fill err (EC2 code + message) and return rc. */
result_t cvpn_verr_set(struct cvpn_verr *err, result_t rc, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
#define verr cvpn_verr_set

#endif
