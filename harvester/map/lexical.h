/*
 * The pieces of xsd date syntax that the mapping (which rewrites
 * delivered dates) and the check (which judges typed dates) both read,
 * and the predicates whose values are dates. Internal to harvester/map
 * and harvester/check.
 */
#ifndef HV_MAP_LEXICAL_H
#define HV_MAP_LEXICAL_H

/*
 * Reads exactly n ASCII digits at *s into *v and advances *s past them.
 * Returns 1, or 0 (with *s unchanged) when a non-digit comes first.
 */
int hv__lex_digits(const char **s, int n, int *v);

/*
 * Reads an optional time zone at *s: Z, or +hh:mm / -hh:mm up to 14:00,
 * advancing *s past it. Returns 1 when there is none or it is valid,
 * 0 when it starts but is malformed or out of range.
 */
int hv__lex_zone(const char **s);

/*
 * Reads a time of day hh:mm:ss with an optional fraction .d+ at *s into
 * *h, *mi and *sec and advances *s past it. Returns 1 when the syntax
 * holds and minutes and seconds are at most 59, else 0; the hour's range
 * (23, or 24 for xsd's end of day) is the caller's to check.
 */
int hv__lex_time(const char **s, int *h, int *mi, int *sec);

/* Returns 1 if pred (an IRI) is one whose values are dates:
   dct:modified, dct:issued, dcat:startDate or dcat:endDate. The mapping
   and the check classify predicates through tables of their own, for
   speed; tests/unit/check_test.c holds both to this list. */
int hv__lex_is_date_pred(const char *pred);

#endif
