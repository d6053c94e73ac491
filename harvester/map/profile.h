/*
 * A DCAT-AP.de profile loaded into memory: the tables of profiles/<name>/
 * (namespace variants, licences, themes, file types, contributors,
 * political geocoding and languages, each with its aliases) and any per-source
 * extension files. The map and check stages ask it questions; it holds
 * no mapping logic of its own.
 *
 * Table format: UTF-8, tab-separated, one header line naming the columns,
 * '#' comment lines and empty lines ignored. Every table is checked at
 * load: a row with the wrong number of fields, an alias pointing at an
 * IRI the profile does not know, or one alias given two different targets
 * is refused as HV_EPARSE naming file and line.
 *
 * Alias lookups are insensitive to ASCII case and to whitespace: leading
 * and trailing white space is ignored and every run of spaces, tabs,
 * line breaks or no-break spaces counts as one space (see
 * hv_profile_normalize), so that "CC  BY 4.0" and "cc by 4.0" meet.
 *
 * Per-source extension files (profiles/sources/NAME.conf) hold one
 * directive per line; '#' starts a comment line, fields are separated by
 * spaces or tabs and the last field of an alias line is the target IRI,
 * so the alias text itself may contain spaces:
 *
 *   license-alias  <text ...> <licence-iri>
 *   theme-alias    <text ...> <theme-iri>
 *   filetype-alias <text ...> <file-type-iri>
 *   default contributor <contributor-iri>
 *   default publisher   <iri>
 *   default license     <licence-iri>
 *   drop <predicate-iri>
 *
 * Targets of aliases and defaults must be known to the profile (the
 * publisher excepted, which is any absolute IRI). A profile is read-only
 * once loaded and may be shared between threads.
 */
#ifndef HV_MAP_PROFILE_H
#define HV_MAP_PROFILE_H

#include <stddef.h>

#include "util/buf.h"
#include "util/error.h"

typedef struct hv_profile hv_profile;

/* The longest alias text that can ever match, in bytes after
 * normalisation; longer inputs are simply not found. */
#define HV_PROFILE_KEY_MAX 1024

/*
 * Loads every table of the profile directory dir (e.g.
 * "profiles/dcat-ap-de"). On success *out is owned by the caller and is
 * released with hv_profile_free. Returns 0, HV_EIO for a missing or
 * unreadable table, HV_EPARSE naming file, line and reason, HV_ENOMEM.
 * *out is written only on success.
 */
int hv_profile_new(hv_profile **out, const char *dir, hv_error *err);

/* Frees p and everything it owns; NULL-safe. */
void hv_profile_free(hv_profile *p);

/*
 * Extends p with the per-source file at path (format above). Returns 0,
 * HV_EIO, HV_EPARSE ("path:line: reason") or HV_ENOMEM. On error p may
 * hold part of the file's additions; load one profile per source and
 * discard it when its file is refused.
 */
int hv_profile_load_source(hv_profile *p, const char *path, hv_error *err);

/*
 * Appends s normalised for alias lookup to out: trimmed, runs of white
 * space (ASCII and U+00A0, U+202F) folded to one space, ASCII letters
 * lower-cased. Returns 0, HV_ENOMEM or HV_ETOOBIG.
 */
int hv_profile_normalize(hv_buf *out, const char *s);

/*
 * Returns the canonical namespace for the namespace IRI ns (a variant
 * from namespaces.tsv, the canonical one included), or NULL. Borrowed
 * from p.
 */
const char *hv_profile_namespace(const hv_profile *p, const char *ns);

/*
 * If iri lies in a dcatde namespace variant (longest variant wins) or
 * lacks the slash before its local name, appends the repaired IRI to out
 * and returns 1; returns 0 (out untouched) when iri needs no repair, or
 * HV_ENOMEM / HV_ETOOBIG.
 */
int hv_profile_fix_iri(const hv_profile *p, const char *iri, hv_buf *out);

/*
 * Alias lookups: return the vocabulary IRI for text (an IRI of the
 * vocabulary itself, a legacy IRI, a code, a label or another alias), or
 * NULL. Borrowed from p.
 */
const char *hv_profile_license(const hv_profile *p, const char *text);
const char *hv_profile_filetype(const hv_profile *p, const char *text);

/*
 * Returns the EU language authority IRI for text (the IRI in any case,
 * its code "DEU", "de", "ger", "Deutsch", "German"), or NULL. Borrowed
 * from p.
 */
const char *hv_profile_language(const hv_profile *p, const char *text);

/* Returns 1 if iri is an entry of languages.tsv, else 0. */
int hv_profile_is_language(const hv_profile *p, const char *iri);

/*
 * Returns the media type ("text/csv", lower case) of the file-type IRI
 * iri when filetype_aliases.tsv gives it exactly one alias of kind
 * media-type, else NULL (none, or ambiguous). Borrowed from p.
 */
const char *hv_profile_filetype_media_type(const hv_profile *p,
                                           const char *iri);

/*
 * Returns the i-th theme IRI for text (a CKAN group may stand for two
 * themes), or NULL when i is past the last. Borrowed from p.
 */
const char *hv_profile_theme(const hv_profile *p, const char *text,
                             size_t i);

/* Return 1 if iri is an entry of the respective vocabulary, else 0. */
int hv_profile_is_license(const hv_profile *p, const char *iri);
int hv_profile_is_theme(const hv_profile *p, const char *iri);
int hv_profile_is_filetype(const hv_profile *p, const char *iri);
int hv_profile_is_contributor(const hv_profile *p, const char *iri);

/* Returns 1 if the licence iri is marked open by the vocabulary, 0 if
 * not or unknown. */
int hv_profile_license_is_open(const hv_profile *p, const char *iri);

/*
 * Returns the state key ("01".."16" or "bund") of the delivering system
 * with contributor IRI iri, or NULL when it is unknown or belongs to no
 * single state. Borrowed from p.
 */
const char *hv_profile_contributor_state(const hv_profile *p,
                                         const char *iri);

/*
 * Rolls a political geocoding IRI (state, district, municipality,
 * regional key ...) up to its state key, or returns NULL when iri has no
 * known prefix or no valid state key. Borrowed from p.
 */
const char *hv_profile_geocoding_state(const hv_profile *p, const char *iri);

/* Returns the name of a state key ("05" -> "Nordrhein-Westfalen"), or
 * NULL. Borrowed from p. */
const char *hv_profile_state_name(const hv_profile *p, const char *key);

/* Per-source defaults, NULL when the source's file sets none. */
const char *hv_profile_default_contributor(const hv_profile *p);
const char *hv_profile_default_publisher(const hv_profile *p);
const char *hv_profile_default_license(const hv_profile *p);

/* Returns 1 if the source's file drops predicate iri, else 0. */
int hv_profile_drops(const hv_profile *p, const char *iri);

/* Which table hv_profile_count counts. */
typedef enum hv_profile_table {
  HV_PROFILE_NAMESPACES = 0,
  HV_PROFILE_LICENSES,
  HV_PROFILE_LICENSE_ALIASES,
  HV_PROFILE_THEMES,
  HV_PROFILE_THEME_ALIASES,
  HV_PROFILE_FILETYPES,
  HV_PROFILE_FILETYPE_ALIASES,
  HV_PROFILE_CONTRIBUTORS,
  HV_PROFILE_STATES,
  HV_PROFILE_LANGUAGES,
  HV_PROFILE_LANGUAGE_ALIASES
} hv_profile_table;

/* Returns the number of entries loaded into a table (aliases count the
 * distinct normalised keys, vocabulary IRIs included). */
size_t hv_profile_count(const hv_profile *p, hv_profile_table t);

#endif
