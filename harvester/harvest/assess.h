/*
 * Assessing one harvested dataset: everything that happens to a dataset
 * graph between split and canonical hash, behind one function, so that
 * the harvest and `govharvest validate` treat a dataset the same way.
 * That is the map stage (map/map.h) and then the check stage
 * (check/check.h) on the mapped graph.
 *
 * Also here: finding the profile directory, loading the profile a source
 * uses (the DCAT-AP.de tables plus the source's own file, if any) and
 * the digest that names exactly what was loaded, so that a changed
 * profile makes the harvest decode pages again.
 *
 * Everything but the loaders is pure and may run on any pool thread with
 * the profile shared read-only.
 */
#ifndef HV_HARVEST_ASSESS_H
#define HV_HARVEST_ASSESS_H

#include <stddef.h>

#include "map/map.h"
#include "map/profile.h"
#include "model/graph.h"
#include "util/error.h"
#include "util/hash.h"

/* The tables of the DCAT-AP.de profile, below the profile directory. */
#define HV_ASSESS_TABLES "dcat-ap-de"
/* Per-source extension files, below the profile directory. */
#define HV_ASSESS_SOURCES "sources"

/*
 * Returns the profile directory to use: option if not NULL, else
 * $GOVHARVEST_PROFILES if set and not empty, else the compiled-in
 * default (the source tree's profiles/ in a build tree, the installed
 * copy otherwise). Borrowed (option, the environment or a constant).
 */
const char *hv_assess_profiles_dir(const char *option);

/*
 * Loads the profile tables of dir/dcat-ap-de into *out (owned by the
 * caller, hv_profile_free) and writes into digest the SHA-256 hex of
 * every table file's name and content, in name order. Returns 0, HV_EIO
 * (directory missing or unreadable, naming it), HV_EPARSE (a table,
 * naming file and line) or HV_ENOMEM. *out is written only on success.
 */
int hv_assess_load_tables(hv_profile **out,
                          char digest[HV_SHA256_HEX_LEN + 1],
                          const char *dir, hv_error *err);

/*
 * Loads the profile one source uses: the tables of dir (again; a profile
 * is extended in place, so a source with a file of its own needs its
 * own copy) plus the per-source file conf_path, and writes into digest
 * the SHA-256 hex of tables_digest, the file's content and extra (e.g.
 * the source's registered contributorID; NULL for none). *out is owned
 * by the caller. Returns 0, HV_EIO, HV_EPARSE ("file:line: reason") or
 * HV_ENOMEM; *out is written only on success.
 */
int hv_assess_load_source(hv_profile **out,
                          char digest[HV_SHA256_HEX_LEN + 1],
                          const char *dir, const char *tables_digest,
                          const char *conf_path, const char *extra,
                          hv_error *err);

/*
 * The digest of a source that uses the shared tables without a file of
 * its own: SHA-256 hex of tables_digest and extra (may be NULL).
 */
void hv_assess_digest(char digest[HV_SHA256_HEX_LEN + 1],
                      const char *tables_digest, const char *extra);

/*
 * Assesses the dataset graph in: maps it into out (initialised and
 * empty), checks the result, and appends every finding of both stages
 * to findings. dataset_iri names the
 * dataset node (NULL: the first subject typed dcat:Dataset). p and in
 * are only read. Returns 0, HV_ENOMEM, HV_ETOOBIG or HV_EINVAL; on
 * failure out is empty and findings holds what it held before.
 */
int hv_assess_dataset(const hv_profile *p, const hv_map_opts *opts,
                      const hv_graph *in, const char *dataset_iri,
                      hv_graph *out, hv_findings *findings, hv_error *err);

/* As hv_assess_dataset, but maps with hv_map_dataset_take: out keeps
 * in's strings and in is left empty, whether or not it succeeds. */
int hv_assess_dataset_take(const hv_profile *p, const hv_map_opts *opts,
                           hv_graph *in, const char *dataset_iri,
                           hv_graph *out, hv_findings *findings,
                           hv_error *err);

/* What the store needs to know of an assessed dataset. */
typedef struct hv_assess_info {
  char *key;            /* the dataset IRI, or the identifier key for a
                           blank-node dataset (see decode/page.h) */
  char *uri;            /* dataset IRI, NULL for a blank node */
  char *identifier;     /* first dct:identifier literal, or NULL */
  char *modified;       /* first dct:modified lexical form, or NULL */
  size_t distributions; /* dcat:distribution values */
  size_t violations;    /* findings by severity */
  size_t warnings;
  const char *state;    /* reporting state ("01".."16", "bund") borrowed
                           from the profile, or NULL */
} hv_assess_info;

/*
 * Reads the dataset's identity from the mapped graph g: the node
 * dataset_iri, or for NULL the first subject typed dcat:Dataset. Counts
 * findings[from..] by severity and derives the reporting state. The
 * strings of *out are owned by it (hv_assess_info_fini). Returns 0,
 * HV_ENOMEM, or HV_EINVAL when a blank-node dataset has lost its
 * identifier (naming the node).
 */
int hv_assess_describe(const hv_profile *p, const hv_graph *g,
                       const char *dataset_iri, const hv_findings *findings,
                       size_t from, hv_assess_info *out, hv_error *err);

/* Frees the strings of info; NULL-safe, info can be reused. */
void hv_assess_info_fini(hv_assess_info *info);

#endif
