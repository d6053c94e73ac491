/*
 * A protocol double of CKAN's action API for the CKAN sink's tests.
 *
 * It listens on 127.0.0.1 (ephemeral port, libmicrohttpd threads) and
 * implements package_show, package_create, package_update and
 * package_delete as CKAN's documentation describes them:
 *
 *   - every answer is CKAN's envelope: {"help", "success": true,
 *     "result"} or {"help", "success": false, "error": {"__type", ...}}
 *   - writes need the API token in the Authorization header: missing or
 *     wrong is 403 "Authorization Error"
 *   - an unknown package is 404 "Not Found Error"
 *   - validation failures are 409 "Validation Error" with field
 *     messages: name missing, malformed (lower-case a-z 0-9 - _, 2..100)
 *     or already in use, owner_org unknown (when organizations are
 *     registered), tag names shorter than 2 or longer than 100
 *   - package_delete sets state "deleted"; package_show still returns a
 *     deleted package to an authorized caller (a sysadmin's view), and
 *     package_update with state "active" revives it
 *   - an unknown action is 400 "Bad request - Action name not known"
 *
 * Faults can be switched on: fail every Nth write (500, not applied),
 * apply every Nth create and then answer 500 anyway, delay every answer.
 * Every call is recorded (action, package name, HTTP status) for the
 * tests' assertions. All functions are safe to call while it serves.
 */
#ifndef HV_TESTS_CKAN_DOUBLE_H
#define HV_TESTS_CKAN_DOUBLE_H

#include <jansson.h>
#include <stddef.h>

#include "util/error.h"

typedef struct hv_ckan_double hv_ckan_double;

typedef struct hv_ckan_faults {
  unsigned fail_every;        /* every Nth write answers 500, unapplied */
  unsigned fail_after_apply;  /* every Nth package_create is applied,
                                 then answered 500 */
  unsigned delay_ms;          /* before every answer */
} hv_ckan_faults;

/* One recorded call. */
typedef struct hv_ckan_call {
  char action[32];
  char name[128]; /* id or name the call was about, "" if none */
  int status;     /* HTTP status answered */
} hv_ckan_call;

/* Starts the double; token is the one valid API token (copied). */
int hv_ckan_double_start(hv_ckan_double **out, const char *token,
                         hv_error *err);

/* Stops it and frees everything; NULL-safe. */
void hv_ckan_double_stop(hv_ckan_double *d);

/* Writes "http://127.0.0.1:PORT" into buf and returns buf. */
char *hv_ckan_double_url(const hv_ckan_double *d, char *buf, size_t size);

/* Registers an organization; once any is, owner_org must name one. */
void hv_ckan_double_add_org(hv_ckan_double *d, const char *name);

void hv_ckan_double_set_faults(hv_ckan_double *d, const hv_ckan_faults *f);

/* Number of recorded calls of action (all actions if NULL). */
size_t hv_ckan_double_calls(hv_ckan_double *d, const char *action);

/* Number of calls of action about name answered with status (0: any). */
size_t hv_ckan_double_calls_for(hv_ckan_double *d, const char *action,
                                const char *name, int status);

/* Copies recorded call i into *out; returns 0 or -1 if out of range. */
int hv_ckan_double_call(hv_ckan_double *d, size_t i, hv_ckan_call *out);

/* How many package_create calls for name were applied (not refused). */
size_t hv_ckan_double_creates(hv_ckan_double *d, const char *name);

/* Packages in state "active". */
size_t hv_ckan_double_active(hv_ckan_double *d);

/* A copy of the package called name (json_decref it), or NULL. */
json_t *hv_ckan_double_package(hv_ckan_double *d, const char *name);

#endif
