/*
 * The CKAN action API sink: each dataset becomes one CKAN package, in
 * the field names GovData's CKAN reads (ckanext-dcat with
 * ckanext-dcatde). The mapping and the package names are exposed here so
 * that they can be checked without a server.
 */
#ifndef HV_SINKS_CKAN_H
#define HV_SINKS_CKAN_H

#include <jansson.h>

#include "sinks/sink.h"
#include "util/error.h"

#define HV_CKAN_NAME_MAX 100

/*
 * Writes the CKAN package name of dataset (source, key) into out: the
 * lower-cased "source-key" with every run of characters outside
 * [a-z0-9_-] turned into one "-". Whenever that loses anything (case,
 * characters, length over 100), a "-" and the first 12 hex digits of the
 * SHA-256 of "source\nkey" are appended to a cut of at most 87
 * characters, so two datasets never share a name by accident and the
 * same dataset always gets the same one.
 */
void hv_ckan_name(const char *source, const char *key,
                  char out[HV_CKAN_NAME_MAX + 1]);

/*
 * The package name of a published identity (store/publish.c), by the
 * same rule with the identity alone in place of "source-key" and the
 * SHA-256 taken of the identity. The sink names a dataset this way
 * whenever its operation carries an identity, so the package stays when
 * another source's copy becomes the published one.
 */
void hv_ckan_identity_name(const char *identity,
                           char out[HV_CKAN_NAME_MAX + 1]);

/*
 * Maps item (its canonical N-Triples) to a package_create/package_update
 * body owned by the caller (json_decref). owner_org may be NULL.
 * HV_EMAP if the payload has no dcat:Dataset, HV_EPARSE if it does not
 * parse.
 */
int hv_ckan_package(const hv_sink_item *item, const char *owner_org,
                    json_t **out, hv_error *err);

#endif
