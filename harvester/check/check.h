/*
 * The check stage: reads one mapped dataset graph (the output of
 * hv_map_dataset) and records, as findings with a severity and a message
 * in English and German, where it falls short of DCAT-AP.de 2.0 and of
 * GovData's conventions. It never changes the graph and never drops a
 * dataset: a dataset with violations is still harvested and stored, and
 * the operator sees why it is marked.
 *
 * Rule ids as they appear in findings (README.md has the full table):
 *
 *  - check.dataset       the graph has no dcat:Dataset node;
 *  - check.mandatory     a property DCAT-AP.de requires is missing
 *                        (violation);
 *  - check.recommended   a recommended property is missing (warning
 *                        where GovData's shapes warn, info otherwise);
 *  - check.cardinality   a property allowed once is given several times
 *                        (violation);
 *  - check.title         an empty title (violation), several titles in
 *                        one language (warning), titles in several
 *                        languages (info);
 *  - check.contributor   no dcatde:contributorID from the contributor
 *                        list, or more than one (violation); other values
 *                        beside exactly one listed ID (warning);
 *  - check.publisher     no dct:publisher, or one without foaf:name
 *                        (violation);
 *  - check.keyword       no keyword literal (warning), a keyword given as
 *                        an IRI (info) or empty (warning);
 *  - check.license       a distribution without a licence from the
 *                        dcat-ap.de list, or with a licence only on its
 *                        dataset (violation); a listed licence that is
 *                        not open (info);
 *  - check.format        dct:format not from the EU file-type list
 *                        (violation);
 *  - check.access-url    a distribution without dcat:accessURL, or with
 *                        one given as a literal (violation);
 *  - check.date          a date property whose value is not a valid
 *                        xsd:date, xsd:dateTime, xsd:gYear or
 *                        xsd:gYearMonth literal (violation);
 *  - check.iri           a relative IRI anywhere in the graph (violation).
 *
 * Checking is pure: it reads the profile and the graph only, so calls on
 * different threads may share both.
 */
#ifndef HV_CHECK_CHECK_H
#define HV_CHECK_CHECK_H

#include <stddef.h>

#include "map/map.h"
#include "map/profile.h"
#include "model/graph.h"
#include "util/error.h"

/*
 * Checks the dataset dataset_iri of the mapped graph and its
 * distributions (the objects of its dcat:distribution), appending one
 * finding per shortcoming to findings. dataset_iri is an IRI, or "_:label"
 * for a blank node; NULL takes the first subject typed dcat:Dataset (a
 * graph without one gets a check.dataset violation, not an error).
 *
 * Every finding names the subject (N-Triples form) and the predicate it
 * is about; old_value holds the offending value where there is one.
 * Returns 0, HV_ENOMEM or HV_ETOOBIG (a term too large to quote); on
 * failure findings holds what it held before the call.
 */
int hv_check_dataset(const hv_profile *p, const hv_graph *mapped,
                     const char *dataset_iri, hv_findings *findings,
                     hv_error *err);

/*
 * Checks one distribution node on its own (an IRI, or "_:label"), as
 * hv_check_dataset does for each of a dataset's distributions but
 * without a dataset whose licence it could inherit. Meant for documents
 * that describe distributions apart from any dataset. Returns and
 * failure behaviour as hv_check_dataset.
 */
int hv_check_distribution(const hv_profile *p, const hv_graph *mapped,
                          const char *distribution, hv_findings *findings,
                          hv_error *err);

/* Returns how many findings of f have severity s. */
size_t hv_findings_count(const hv_findings *f, hv_severity s);

#endif
