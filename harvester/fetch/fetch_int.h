/*
 * Internals shared by fetch/fetch.c and fetch/policy.c. Nothing outside
 * harvester/fetch includes this.
 */
#ifndef HV_FETCH_FETCH_INT_H
#define HV_FETCH_FETCH_INT_H

#include "util/error.h"

/*
 * Checks url against the scheme policy like hv_fetch_check_url and, if
 * host_out is not NULL, returns its host in lowercase (hv_free it).
 */
int hv__fetch_check_url(const char *url, char **host_out, hv_error *err);

#endif
