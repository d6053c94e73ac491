/*
 * The map stage: turns one harvested dataset graph into clean DCAT-AP.de
 * with the help of a loaded profile (profile.h), and records every change
 * it makes as a finding, so that a state operator can see why their data
 * looks different in GovData from what they delivered.
 *
 * Mapping is a pure function of its input: it reads the profile, never
 * writes it, and touches nothing else, so one profile may be shared by
 * every pool thread. The rules, in the order they are applied to each
 * triple (rule ids in brackets, as they appear in findings):
 *
 *  - [map.drop] a predicate the source's profile drops is removed;
 *  - [map.namespace] dcatde namespace variants and predicates missing the
 *    slash before the local name become http://dcat-ap.de/def/dcatde/
 *    (predicates and rdf:type classes);
 *  - [map.local-name] the DCAT-AP.de 1.0 names dcatde:geocodingText and
 *    dcatde:legalbasisText become dcatde:geocodingDescription and
 *    dcatde:legalBasis, their names since 1.0.1;
 *  - [map.whitespace] leading and trailing white space (ASCII and the
 *    no-break spaces U+00A0, U+2007, U+202F, U+FEFF) is trimmed from
 *    literals;
 *  - [map.literal-iri] a literal holding an absolute http(s) IRI becomes
 *    an IRI for dcatde:contributorID, dct:license, dct:format,
 *    dcat:mediaType, dct:language, dcat:theme and dct:accessRights;
 *  - [map.lang-tag] language tags on literals in BCP 47 case ("DE" ->
 *    "de", "de_DE" and "DE-de" -> "de-DE", "sr-latn-rs" -> "sr-Latn-RS");
 *    a tag that is not well formed stays, with a warning;
 *  - [map.license], [map.theme], [map.format], [map.language] licences
 *    (anywhere), themes, formats and dct:language values become
 *    vocabulary IRIs through the profile's aliases (dcat-ap.de IRIs
 *    delivered on the www.dcat-ap.de web host are read as
 *    http://dcat-ap.de/def/...; a language tag such as "de-DE" falls back
 *    to its first subtag); a value the profile does not know stays as
 *    delivered with a warning ("unknown licence 'X'");
 *  - [map.media-type] dcat:mediaType becomes an IANA media-type IRI,
 *    http://www.iana.org/assignments/media-types/TYPE/SUBTYPE in lower
 *    case without parameters, from a literal "text/csv", an IANA IRI on
 *    another host or scheme, or a format name or file-type IRI whose file
 *    type has exactly one media type in the profile; anything else stays
 *    with a warning;
 *  - [map.date] dct:modified, dct:issued, dcat:startDate and dcat:endDate
 *    literals that are valid dates (YYYY-MM-DD, YYYY-MM-DDThh:mm:ss with
 *    optional fraction and zone, DD.MM.YYYY) become xsd:date or
 *    xsd:dateTime typed literals; an invalid date stays with a warning.
 *
 * and once per dataset:
 *
 *  - [map.contributor] a dataset without dcatde:contributorID gets the
 *    source's default (info), or a warning if the source has none; two or
 *    more distinct values are kept as delivered with a warning.
 *
 * Nothing here drops a dataset: bad values are kept and reported. Every
 * finding carries its message in English and in German.
 */
#ifndef HV_MAP_MAP_H
#define HV_MAP_MAP_H

#include <stddef.h>

#include "map/profile.h"
#include "model/graph.h"
#include "util/error.h"

#define HV_DCATDE "http://dcat-ap.de/def/dcatde/"
#define HV_XSD "http://www.w3.org/2001/XMLSchema#"

typedef enum hv_severity {
  HV_SEVERITY_INFO = 0, /* a repair that loses nothing */
  HV_SEVERITY_WARNING,  /* kept as delivered, but probably wrong */
  HV_SEVERITY_VIOLATION /* breaks the profile (used by the check stage) */
} hv_severity;

/* One change or doubt about one triple of a dataset. */
typedef struct hv_finding {
  const char *rule;      /* rule id, e.g. "map.license" */
  const char *subject;   /* N-Triples form: <iri> or _:label */
  const char *predicate; /* predicate IRI (after repair) */
  const char *old_value; /* N-Triples form of the delivered value, or NULL
                            when something was added */
  const char *new_value; /* N-Triples form of the value written, or NULL
                            when nothing was written (removed, or kept
                            unchanged with a warning) */
  const char *message;   /* one English sentence without final stop */
  const char *message_de; /* the same in German, or NULL if none yet */
  hv_severity severity;
} hv_finding;

/*
 * A growable list of findings. Every finding's strings live in one
 * allocation owned by the list, so they stay valid until _fini.
 */
typedef struct hv_findings {
  hv_finding *items;
  size_t len;
  size_t cap;
} hv_findings;

void hv_findings_init(hv_findings *f);
void hv_findings_fini(hv_findings *f); /* frees all; f can be reused */

/*
 * Appends a finding with copies of the given strings (old_value,
 * new_value, subject, predicate and message_de may be NULL). Returns 0
 * or HV_ENOMEM (f unchanged).
 */
int hv_findings_add(hv_findings *f, const char *rule, hv_severity severity,
                    const char *subject, const char *predicate,
                    const char *old_value, const char *new_value,
                    const char *message, const char *message_de,
                    hv_error *err);

/* Drops the findings from index len on (len <= f->len). */
void hv_findings_truncate(hv_findings *f, size_t len);

/* Returns "info", "warning" or "violation". */
const char *hv_severity_name(hv_severity s);

#define HV_MAP_OPTS_VERSION 1

typedef struct hv_map_opts {
  unsigned int version;            /* HV_MAP_OPTS_VERSION */
  const char *default_contributor; /* contributorID IRI added when a
                                      dataset has none; NULL: the
                                      profile's per-source default */
} hv_map_opts;

#define HV_MAP_OPTS_INIT {HV_MAP_OPTS_VERSION, NULL}

/*
 * Maps the dataset graph in (one dataset and everything hanging off it)
 * into out, which must be initialised and empty, and appends one finding
 * per change or doubt to findings. dataset_iri names the dataset node;
 * with NULL the first subject typed dcat:Dataset is taken (an IRI or a
 * blank node), and without one the per-dataset contributor rule is
 * skipped. opts may be NULL for the defaults.
 *
 * in and p are only read, so calls on different threads may share them.
 * Returns 0, HV_ENOMEM, HV_ETOOBIG (a term too large to rewrite) or
 * HV_EINVAL (opts of an unknown version). On failure out is left empty
 * and findings holds what it held before the call.
 */
int hv_map_dataset(const hv_profile *p, const hv_map_opts *opts,
                   const hv_graph *in, const char *dataset_iri,
                   hv_graph *out, hv_findings *findings, hv_error *err);

/*
 * As hv_map_dataset, but takes in over instead of copying it: out (empty,
 * with no arena of its own yet) keeps in's strings and copies only those
 * the rules rewrote, and in is left empty, as after hv_graph_fini,
 * whether or not the call succeeds. For callers that have no use for the
 * delivered graph once it is mapped, like the harvest.
 */
int hv_map_dataset_take(const hv_profile *p, const hv_map_opts *opts,
                        hv_graph *in, const char *dataset_iri, hv_graph *out,
                        hv_findings *findings, hv_error *err);

/*
 * Returns the state of the dataset with IRI dataset_iri in the mapped
 * graph g for reporting: "01".."16" or "bund", borrowed from p, or NULL.
 * The first dcatde:contributorID whose delivering system the profile
 * places in a state decides; failing that, the political geocoding IRIs
 * given as dct:spatial or dcatde:politicalGeocodingURI are rolled up to
 * their state, and decide when they all agree on one.
 */
const char *hv_map_state(const hv_profile *p, const hv_graph *g,
                         const char *dataset_iri);

#endif
