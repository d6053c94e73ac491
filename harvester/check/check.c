/*
 * The check stage (see check.h): a handful of passes over one mapped
 * dataset graph, first over the dataset node, then over each of its
 * distributions, then over every triple for values that are wrong
 * wherever they appear (dates, relative IRIs).
 *
 * The cardinalities come from the DCAT-AP 2.1.1 shapes that DCAT-AP.de
 * 2.0 builds on, its German additions and GovData's convention shapes;
 * the tables below carry them as data so that a missing property and a
 * repeated one are reported by the same code. Dataset graphs are small
 * (tens to hundreds of triples), so every lookup is a linear scan: an
 * index would cost more than it saves.
 */
#include "check/check.h"

#include <stdio.h>
#include <string.h>

#include "decode/page.h"
#include "map/lexical.h"
#include "map/lookup.h"
#include "util/buf.h"

/* A term longer than this is not quoted but reported as too big. */
#define TERM_MAX ((size_t)64 << 20)
/* Values quoted in messages are cut to this many bytes. */
#define MSG_VALUE_MAX 100

#define FOAF "http://xmlns.com/foaf/0.1/"
#define DCATAP "http://data.europa.eu/r5r#"
#define SPDX "http://spdx.org/rdf/terms#"
#define ADMS "http://www.w3.org/ns/adms#"
#define ODRL "http://www.w3.org/ns/odrl/2/"
#define OWL "http://www.w3.org/2002/07/owl#"

#define P_TYPE HV_RDF "type"
#define P_TITLE HV_DCT "title"
#define P_LICENSE HV_DCT "license"
#define P_FORMAT HV_DCT "format"
#define P_PUBLISHER HV_DCT "publisher"
#define P_KEYWORD HV_DCAT "keyword"
#define P_DIST HV_DCAT "distribution"
#define P_ACCESS HV_DCAT "accessURL"
#define P_CONTRIB HV_DCATDE "contributorID"
#define C_DATASET HV_DCAT "Dataset"

/* No finding when the property is missing. */
#define NONE (-1)

/* One property of a class: what its absence costs, and whether it may
 * appear more than once. */
typedef struct prop_rule {
  const char *pred;
  const char *name;   /* prefixed name for messages */
  int missing;        /* hv_severity when absent, or NONE */
  int once;           /* 1: at most one value */
  const char *source; /* where the rule comes from, for the message */
} prop_rule;

#define AP "DCAT-AP.de"
#define GD "GovData"

static const prop_rule dataset_rules[] = {
    {HV_DCT "title", "dct:title", HV_SEVERITY_VIOLATION, 0, AP},
    {HV_DCT "description", "dct:description", HV_SEVERITY_VIOLATION, 0, AP},
    /* Missing publisher and keyword have rules of their own. */
    {P_PUBLISHER, "dct:publisher", NONE, 1, AP},
    {HV_DCAT "theme", "dcat:theme", HV_SEVERITY_WARNING, 0, GD},
    {HV_DCAT "landingPage", "dcat:landingPage", HV_SEVERITY_WARNING, 0, GD},
    {HV_DCT "issued", "dct:issued", HV_SEVERITY_WARNING, 1, GD},
    {HV_DCT "modified", "dct:modified", HV_SEVERITY_INFO, 1, GD},
    {HV_DCT "identifier", "dct:identifier", HV_SEVERITY_INFO, 0, GD},
    {P_DIST, "dcat:distribution", HV_SEVERITY_INFO, 0, GD},
    {HV_DCAT "contactPoint", "dcat:contactPoint", HV_SEVERITY_INFO, 0, AP},
    {HV_DCT "spatial", "dct:spatial", HV_SEVERITY_INFO, 0, AP},
    {HV_DCT "temporal", "dct:temporal", HV_SEVERITY_INFO, 0, AP},
    {HV_DCT "accessRights", "dct:accessRights", NONE, 1, AP},
    {HV_DCT "accrualPeriodicity", "dct:accrualPeriodicity", NONE, 1, AP},
    {OWL "versionInfo", "owl:versionInfo", NONE, 1, AP},
    {HV_DCT "type", "dct:type", NONE, 1, AP},
    {HV_DCAT "temporalResolution", "dcat:temporalResolution", NONE, 1, AP},
    {HV_DCAT "spatialResolutionInMeters", "dcat:spatialResolutionInMeters",
     NONE, 1, AP},
    {HV_DCATDE "qualityProcessURI", "dcatde:qualityProcessURI", NONE, 1, AP},
    {HV_DCAT "granularity", "dcat:granularity", NONE, 1, AP},
    {DCATAP "availability", "dcatap:availability", NONE, 1, AP},
};

static const prop_rule distribution_rules[] = {
    /* Missing accessURL and licence have rules of their own. */
    {P_LICENSE, "dct:license", NONE, 1, AP},
    {P_FORMAT, "dct:format", HV_SEVERITY_INFO, 1, AP},
    {HV_DCT "title", "dct:title", HV_SEVERITY_WARNING, 0, GD},
    {HV_DCT "description", "dct:description", HV_SEVERITY_INFO, 0, AP},
    {HV_DCT "issued", "dct:issued", NONE, 1, AP},
    {HV_DCT "modified", "dct:modified", NONE, 1, AP},
    {HV_DCT "rights", "dct:rights", NONE, 1, AP},
    {SPDX "checksum", "spdx:checksum", NONE, 1, AP},
    {ADMS "status", "adms:status", NONE, 1, AP},
    {HV_DCAT "byteSize", "dcat:byteSize", NONE, 1, AP},
    {HV_DCAT "mediaType", "dcat:mediaType", NONE, 1, AP},
    {ODRL "hasPolicy", "odrl:hasPolicy", NONE, 1, AP},
    {HV_DCAT "compressFormat", "dcat:compressFormat", NONE, 1, AP},
    {HV_DCAT "packageFormat", "dcat:packageFormat", NONE, 1, AP},
    {DCATAP "availability", "dcatap:availability", NONE, 1, AP},
    {HV_DCAT "temporalResolution", "dcat:temporalResolution", NONE, 1, AP},
    {HV_DCAT "spatialResolutionInMeters", "dcat:spatialResolutionInMeters",
     NONE, 1, AP},
};

typedef struct checker {
  const hv_profile *p;
  const hv_graph *g;
  hv_findings *f;
  hv_error *err;
  hv_buf nt_s; /* finding scratch: subject and value */
  hv_buf nt_v;
  const char *kind_en; /* "dataset" or "distribution" */
  const char *kind_de;
} checker;

/* ------------------------------------------------------------------ */
/* Helpers                                                             */
/* ------------------------------------------------------------------ */

static int is_pred(const hv_quad *q, const hv_term *s, const char *pred)
{
  return hv_term_equal(&q->s, s) && strcmp(q->p.value, pred) == 0;
}

/* Returns 1 if s has at least one triple in the graph. */
static int described(const checker *c, const hv_term *s)
{
  size_t i;

  for (i = 0; i < c->g->len; i++)
    if (hv_term_equal(&c->g->quads[i].s, s))
      return 1;
  return 0;
}

/* Writes 'value' to dst, at most MSG_VALUE_MAX bytes of it, not cutting
 * a UTF-8 character in two. */
static void quote(char *dst, size_t cap, const char *s)
{
  size_t n = strlen(s);
  int cut = n > MSG_VALUE_MAX;

  if (cut) {
    n = MSG_VALUE_MAX;
    while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
      n--;
  }
  snprintf(dst, cap, "'%.*s%s'", (int)n, s, cut ? "..." : "");
}

/* Records a finding about s and pred; value (may be NULL) becomes the
 * finding's old_value. */
static int add(checker *c, const char *rule, hv_severity sev,
               const hv_term *s, const char *pred, const hv_term *value,
               const char *en, const char *de)
{
  int rc;

  hv_buf_reset(&c->nt_s);
  hv_buf_reset(&c->nt_v);
  if ((rc = hv_term_write_nt(&c->nt_s, s)) < 0 ||
      (value && (rc = hv_term_write_nt(&c->nt_v, value)) < 0))
    return rc == HV_ENOMEM ? hv_error_oom(c->err)
                           : hv_error_set(c->err, rc, "check: term of %s "
                                          "too large to report", pred);
  return hv_findings_add(c->f, rule, sev, c->nt_s.ptr, pred,
                         value ? c->nt_v.ptr : NULL, NULL, en, de, c->err);
}

/* Parses a node name: an IRI, or "_:label" for a blank node. */
static void node_term(hv_term *t, const char *name)
{
  memset(t, 0, sizeof(*t));
  if (strncmp(name, "_:", 2) == 0) {
    t->kind = HV_TERM_BLANK;
    t->value = name + 2;
  } else {
    t->kind = HV_TERM_IRI;
    t->value = name;
  }
}

/* Returns 1 if s holds nothing but white space (no-break spaces too). */
static int blank_text(const char *s)
{
  const unsigned char *u = (const unsigned char *)s;

  while (*u) {
    if (*u == ' ' || (*u >= '\t' && *u <= '\r'))
      u++;
    else if (u[0] == 0xc2 && u[1] == 0xa0)
      u += 2;
    else if (u[0] == 0xe2 && u[1] == 0x80 && (u[2] == 0x87 || u[2] == 0xaf))
      u += 3;
    else if (u[0] == 0xef && u[1] == 0xbb && u[2] == 0xbf)
      u += 3;
    else
      return 0;
  }
  return 1;
}

/* ------------------------------------------------------------------ */
/* Cardinalities                                                       */
/* ------------------------------------------------------------------ */

/* Subjects with more triples than this are counted by a full scan for
 * each rule; no real dataset or distribution comes near it. */
#define PROPS_MAX 256

/* How many triples of the graph have subject s and predicate pred. */
static size_t count_scan(const checker *c, const hv_term *s, const char *pred)
{
  size_t i, n = 0;

  for (i = 0; i < c->g->len; i++)
    n += is_pred(&c->g->quads[i], s, pred);
  return n;
}

/*
 * Counts each rule's predicate on s. The subject is compared once per
 * triple rather than once per triple and rule: with twenty rules for a
 * dataset and seventeen for each distribution, those comparisons were
 * most of the cost of checking a dataset.
 */
static int check_props(checker *c, const hv_term *s, const prop_rule *rules,
                       size_t n)
{
  const char *preds[PROPS_MAX];
  char en[256], de[256];
  size_t i, j, k, n_preds = 0;
  int rc, scan = 0;

  for (i = 0; i < c->g->len && !scan; i++) {
    const hv_quad *q = &c->g->quads[i];

    if (!hv_term_equal(&q->s, s))
      continue;
    if (n_preds == PROPS_MAX)
      scan = 1;
    else
      preds[n_preds++] = q->p.value;
  }
  for (i = 0; i < n; i++) {
    const prop_rule *r = &rules[i];

    if (scan) {
      k = count_scan(c, s, r->pred);
    } else {
      for (j = 0, k = 0; j < n_preds; j++)
        k += strcmp(preds[j], r->pred) == 0;
    }
    if (k == 0 && r->missing != NONE) {
      int mand = r->missing == HV_SEVERITY_VIOLATION;

      snprintf(en, sizeof(en), "%s has no %s, which %s %s", c->kind_en,
               r->name, r->source, mand ? "requires" : "recommends");
      snprintf(de, sizeof(de), "%s hat kein %s, das %s %s", c->kind_de,
               r->name, r->source, mand ? "vorschreibt" : "empfiehlt");
      if ((rc = add(c, mand ? "check.mandatory" : "check.recommended",
                    (hv_severity)r->missing, s, r->pred, NULL, en, de)) < 0)
        return rc;
    }
    if (k > 1 && r->once) {
      /* Every upper bound comes from the DCAT-AP shapes. */
      snprintf(en, sizeof(en), "%s has %zu values of %s, %s allows one",
               c->kind_en, k, r->name, AP);
      snprintf(de, sizeof(de), "%s hat %zu Werte für %s, %s erlaubt einen",
               c->kind_de, k, r->name, AP);
      if ((rc = add(c, "check.cardinality", HV_SEVERITY_VIOLATION, s,
                    r->pred, NULL, en, de)) < 0)
        return rc;
    }
  }
  return 0;
}

/* ------------------------------------------------------------------ */
/* Titles                                                              */
/* ------------------------------------------------------------------ */

/*
 * An empty title is a violation: it says nothing and portals show it as
 * a blank line. Two titles in one language (or two without a tag) leave
 * the portal to pick one at random: warning. Titles in several languages
 * are allowed by DCAT-AP, but GovData shows a single title, so the
 * operator is told (info) which languages were delivered.
 */
static int check_titles(checker *c, const hv_term *s)
{
  char en[256], de[256], langs[160] = "", v[MSG_VALUE_MAX + 8];
  size_t i, j, nlang = 0;
  int rc;

  for (i = 0; i < c->g->len; i++) {
    const hv_quad *q = &c->g->quads[i];
    const char *lang;
    int dup = 0;

    if (!is_pred(q, s, P_TITLE))
      continue;
    if (q->o.kind != HV_TERM_LITERAL) {
      snprintf(en, sizeof(en), "%s title is not a literal", c->kind_en);
      snprintf(de, sizeof(de), "Titel der %s ist kein Literal",
               strcmp(c->kind_en, "dataset") == 0 ? "Datensatzes"
                                                  : "Distribution");
      if ((rc = add(c, "check.title", HV_SEVERITY_VIOLATION, s, P_TITLE,
                    &q->o, en, de)) < 0)
        return rc;
      continue;
    }
    if (blank_text(q->o.value)) {
      snprintf(en, sizeof(en), "%s has an empty title", c->kind_en);
      snprintf(de, sizeof(de), "%s hat einen leeren Titel", c->kind_de);
      if ((rc = add(c, "check.title", HV_SEVERITY_VIOLATION, s, P_TITLE,
                    &q->o, en, de)) < 0)
        return rc;
      continue;
    }
    lang = q->o.lang ? q->o.lang : "";
    for (j = 0; j < i; j++) {
      const hv_quad *e = &c->g->quads[j];
      const char *el;

      if (!is_pred(e, s, P_TITLE) || e->o.kind != HV_TERM_LITERAL ||
          blank_text(e->o.value))
        continue;
      el = e->o.lang ? e->o.lang : "";
      if (strcmp(el, lang) == 0) {
        dup = 1;
        break;
      }
    }
    if (dup) {
      quote(v, sizeof(v), q->o.value);
      if (*lang) {
        snprintf(en, sizeof(en), "%s has more than one title in language "
                 "'%s': %s", c->kind_en, lang, v);
        snprintf(de, sizeof(de), "%s hat mehr als einen Titel in der "
                 "Sprache '%s': %s", c->kind_de, lang, v);
      } else {
        snprintf(en, sizeof(en), "%s has more than one title without a "
                 "language tag: %s", c->kind_en, v);
        snprintf(de, sizeof(de), "%s hat mehr als einen Titel ohne "
                 "Sprachangabe: %s", c->kind_de, v);
      }
      if ((rc = add(c, "check.title", HV_SEVERITY_WARNING, s, P_TITLE, &q->o,
                    en, de)) < 0)
        return rc;
      continue;
    }
    nlang++;
    if (strlen(langs) + strlen(lang) + 8 < sizeof(langs))
      snprintf(langs + strlen(langs), sizeof(langs) - strlen(langs), "%s%s",
               nlang > 1 ? ", " : "", *lang ? lang : "none");
  }
  if (nlang > 1) {
    snprintf(en, sizeof(en), "%s has titles in %zu languages (%s); GovData "
             "shows one", c->kind_en, nlang, langs);
    snprintf(de, sizeof(de), "%s hat Titel in %zu Sprachen (%s); GovData "
             "zeigt einen an", c->kind_de, nlang, langs);
    if ((rc = add(c, "check.title", HV_SEVERITY_INFO, s, P_TITLE, NULL, en,
                  de)) < 0)
      return rc;
  }
  return 0;
}

/* ------------------------------------------------------------------ */
/* GovData conventions on the dataset                                  */
/* ------------------------------------------------------------------ */

/*
 * Konvention 12/13: exactly one dcatde:contributorID from the dcat-ap.de
 * list. Values beside that one (an IRI outside the list, a literal) do not
 * break the rule, as GovData's dashboard counts only listed IDs, but they
 * are reported as warnings.
 */
static int check_contributor(checker *c, const hv_term *ds)
{
  char en[320], de[320], v[MSG_VALUE_MAX + 8];
  size_t i, j, listed = 0, total = 0;
  int rc;

  for (i = 0; i < c->g->len; i++) {
    const hv_quad *q = &c->g->quads[i];
    int dup = 0;

    if (!is_pred(q, ds, P_CONTRIB))
      continue;
    for (j = 0; j < i && !dup; j++)
      dup = is_pred(&c->g->quads[j], ds, P_CONTRIB) &&
            hv_term_equal(&c->g->quads[j].o, &q->o);
    if (dup)
      continue;
    total++;
    listed += q->o.kind == HV_TERM_IRI &&
              hv_profile_is_contributor(c->p, q->o.value);
  }
  if (total == 0)
    return add(c, "check.contributor", HV_SEVERITY_VIOLATION, ds, P_CONTRIB,
               NULL, "dataset has no dcatde:contributorID; GovData expects "
               "exactly one from the dcat-ap.de list",
               "Datensatz hat keine dcatde:contributorID; GovData erwartet "
               "genau eine aus der dcat-ap.de-Liste");
  if (listed > 1) {
    snprintf(en, sizeof(en), "dataset has %zu dcatde:contributorID values "
             "from the dcat-ap.de list; GovData expects exactly one", listed);
    snprintf(de, sizeof(de), "Datensatz hat %zu dcatde:contributorID-Werte "
             "aus der dcat-ap.de-Liste; GovData erwartet genau einen",
             listed);
    if ((rc = add(c, "check.contributor", HV_SEVERITY_VIOLATION, ds,
                  P_CONTRIB, NULL, en, de)) < 0)
      return rc;
  }
  for (i = 0; i < c->g->len; i++) {
    const hv_quad *q = &c->g->quads[i];
    hv_severity sev = listed ? HV_SEVERITY_WARNING : HV_SEVERITY_VIOLATION;
    int dup = 0;

    if (!is_pred(q, ds, P_CONTRIB) ||
        (q->o.kind == HV_TERM_IRI &&
         hv_profile_is_contributor(c->p, q->o.value)))
      continue;
    for (j = 0; j < i && !dup; j++)
      dup = is_pred(&c->g->quads[j], ds, P_CONTRIB) &&
            hv_term_equal(&c->g->quads[j].o, &q->o);
    if (dup)
      continue;
    quote(v, sizeof(v), q->o.value);
    if (q->o.kind == HV_TERM_IRI) {
      snprintf(en, sizeof(en), "dcatde:contributorID %s is not in the "
               "dcat-ap.de contributor list", v);
      snprintf(de, sizeof(de), "dcatde:contributorID %s steht nicht in der "
               "dcat-ap.de-Liste der Datenbereitsteller", v);
    } else {
      snprintf(en, sizeof(en), "dcatde:contributorID %s is not an IRI from "
               "the dcat-ap.de contributor list", v);
      snprintf(de, sizeof(de), "dcatde:contributorID %s ist keine IRI aus "
               "der dcat-ap.de-Liste der Datenbereitsteller", v);
    }
    if ((rc = add(c, "check.contributor", sev, ds, P_CONTRIB, &q->o, en,
                  de)) < 0)
      return rc;
  }
  return 0;
}

/* Konvention 36 and the DCAT-AP agent shape: a publisher, with a name. */
static int check_publisher(checker *c, const hv_term *ds)
{
  char en[320], de[320], v[MSG_VALUE_MAX + 8];
  size_t i, j, n = 0;
  int rc;

  for (i = 0; i < c->g->len; i++) {
    const hv_quad *q = &c->g->quads[i];
    int named = 0;

    if (!is_pred(q, ds, P_PUBLISHER))
      continue;
    n++;
    quote(v, sizeof(v), q->o.value);
    if (q->o.kind == HV_TERM_LITERAL) {
      snprintf(en, sizeof(en), "dct:publisher %s is a literal, not an "
               "agent with a foaf:name", v);
      snprintf(de, sizeof(de), "dct:publisher %s ist ein Literal, keine "
               "Organisation mit foaf:name", v);
      if ((rc = add(c, "check.publisher", HV_SEVERITY_VIOLATION, ds,
                    P_PUBLISHER, &q->o, en, de)) < 0)
        return rc;
      continue;
    }
    for (j = 0; j < c->g->len && !named; j++) {
      const hv_quad *e = &c->g->quads[j];

      named = is_pred(e, &q->o, FOAF "name") &&
              e->o.kind == HV_TERM_LITERAL && !blank_text(e->o.value);
    }
    if (named)
      continue;
    if (q->o.kind == HV_TERM_IRI && !described(c, &q->o)) {
      snprintf(en, sizeof(en), "publisher %s is not described in the "
               "dataset, so it has no foaf:name", v);
      snprintf(de, sizeof(de), "Herausgeber %s wird im Datensatz nicht "
               "beschrieben und hat daher keinen foaf:name", v);
    } else {
      snprintf(en, sizeof(en), "publisher has no foaf:name");
      snprintf(de, sizeof(de), "Herausgeber hat keinen foaf:name");
    }
    if ((rc = add(c, "check.publisher", HV_SEVERITY_VIOLATION, ds,
                  P_PUBLISHER, &q->o, en, de)) < 0)
      return rc;
  }
  if (n == 0)
    return add(c, "check.publisher", HV_SEVERITY_VIOLATION, ds, P_PUBLISHER,
               NULL, "dataset has no dct:publisher, which GovData requires",
               "Datensatz hat keinen dct:publisher, den GovData "
               "vorschreibt");
  return 0;
}

/* At least one keyword, and keywords are text (the dashboard does not
 * count IRIs). */
static int check_keywords(checker *c, const hv_term *ds)
{
  char en[320], de[320], v[MSG_VALUE_MAX + 8];
  size_t i, n = 0;
  int rc;

  for (i = 0; i < c->g->len; i++) {
    const hv_quad *q = &c->g->quads[i];

    if (!is_pred(q, ds, P_KEYWORD))
      continue;
    quote(v, sizeof(v), q->o.value);
    if (q->o.kind != HV_TERM_LITERAL) {
      snprintf(en, sizeof(en), "keyword %s is an IRI, not a text", v);
      snprintf(de, sizeof(de), "Schlagwort %s ist eine IRI, kein Text", v);
      if ((rc = add(c, "check.keyword", HV_SEVERITY_INFO, ds, P_KEYWORD,
                    &q->o, en, de)) < 0)
        return rc;
    } else if (blank_text(q->o.value)) {
      if ((rc = add(c, "check.keyword", HV_SEVERITY_WARNING, ds, P_KEYWORD,
                    &q->o, "keyword is empty", "Schlagwort ist leer")) < 0)
        return rc;
    } else {
      n++;
    }
  }
  if (n == 0)
    return add(c, "check.keyword", HV_SEVERITY_WARNING, ds, P_KEYWORD, NULL,
               "dataset has no keyword, which GovData recommends",
               "Datensatz hat kein Schlagwort, das GovData empfiehlt");
  return 0;
}

/* ------------------------------------------------------------------ */
/* Distributions                                                       */
/* ------------------------------------------------------------------ */

/* Konvention 31: a licence from the list on every distribution. ds may
 * be NULL (a distribution checked on its own). */
static int check_license(checker *c, const hv_term *dist, const hv_term *ds)
{
  char en[320], de[320], v[MSG_VALUE_MAX + 8];
  size_t i;
  int rc, n = 0;

  for (i = 0; i < c->g->len; i++) {
    const hv_quad *q = &c->g->quads[i];

    if (!is_pred(q, dist, P_LICENSE))
      continue;
    n++;
    quote(v, sizeof(v), q->o.value);
    if (q->o.kind == HV_TERM_IRI && hv_profile_is_license(c->p, q->o.value)) {
      if (hv_profile_license_is_open(c->p, q->o.value))
        continue;
      snprintf(en, sizeof(en), "licence %s is not an open licence", v);
      snprintf(de, sizeof(de), "Lizenz %s ist keine offene Lizenz", v);
      if ((rc = add(c, "check.license", HV_SEVERITY_INFO, dist, P_LICENSE,
                    &q->o, en, de)) < 0)
        return rc;
      continue;
    }
    snprintf(en, sizeof(en), "licence %s is not in the dcat-ap.de licence "
             "list", v);
    snprintf(de, sizeof(de), "Lizenz %s steht nicht in der "
             "dcat-ap.de-Lizenzliste", v);
    if ((rc = add(c, "check.license", HV_SEVERITY_VIOLATION, dist, P_LICENSE,
                  &q->o, en, de)) < 0)
      return rc;
  }
  if (n > 0)
    return 0;
  for (i = 0; ds && i < c->g->len; i++) {
    const hv_quad *q = &c->g->quads[i];

    if (!is_pred(q, ds, P_LICENSE))
      continue;
    quote(v, sizeof(v), q->o.value);
    snprintf(en, sizeof(en), "distribution has no dct:license; licence %s "
             "is given on the dataset only", v);
    snprintf(de, sizeof(de), "Distribution hat keine dct:license; die "
             "Lizenz %s steht nur am Datensatz", v);
    return add(c, "check.license", HV_SEVERITY_VIOLATION, dist, P_LICENSE,
               &q->o, en, de);
  }
  return add(c, "check.license", HV_SEVERITY_VIOLATION, dist, P_LICENSE,
             NULL, "distribution has no dct:license, which GovData requires",
             "Distribution hat keine dct:license, die GovData vorschreibt");
}

/* Konvention 32: a given format is from the EU file-type list. */
static int check_format(checker *c, const hv_term *dist)
{
  char en[320], de[320], v[MSG_VALUE_MAX + 8];
  size_t i;
  int rc;

  for (i = 0; i < c->g->len; i++) {
    const hv_quad *q = &c->g->quads[i];

    if (!is_pred(q, dist, P_FORMAT) ||
        (q->o.kind == HV_TERM_IRI && hv_profile_is_filetype(c->p, q->o.value)))
      continue;
    quote(v, sizeof(v), q->o.value);
    snprintf(en, sizeof(en), "format %s is not in the EU file-type list", v);
    snprintf(de, sizeof(de), "Format %s steht nicht in der EU-Liste der "
             "Dateitypen", v);
    if ((rc = add(c, "check.format", HV_SEVERITY_VIOLATION, dist, P_FORMAT,
                  &q->o, en, de)) < 0)
      return rc;
  }
  return 0;
}

/* DCAT-AP: every distribution has an accessURL, and it is an IRI. */
static int check_access_url(checker *c, const hv_term *dist)
{
  char en[320], de[320], v[MSG_VALUE_MAX + 8];
  size_t i, n = 0;
  int rc;

  for (i = 0; i < c->g->len; i++) {
    const hv_quad *q = &c->g->quads[i];

    if (!is_pred(q, dist, P_ACCESS))
      continue;
    n++;
    if (q->o.kind == HV_TERM_IRI)
      continue;
    quote(v, sizeof(v), q->o.value);
    snprintf(en, sizeof(en), "dcat:accessURL %s is %s, not an IRI", v,
             q->o.kind == HV_TERM_LITERAL ? "a literal" : "a blank node");
    snprintf(de, sizeof(de), "dcat:accessURL %s ist %s, keine IRI", v,
             q->o.kind == HV_TERM_LITERAL ? "ein Literal"
                                          : "ein leerer Knoten");
    if ((rc = add(c, "check.access-url", HV_SEVERITY_VIOLATION, dist,
                  P_ACCESS, &q->o, en, de)) < 0)
      return rc;
  }
  if (n == 0)
    return add(c, "check.access-url", HV_SEVERITY_VIOLATION, dist, P_ACCESS,
               NULL, "distribution has no dcat:accessURL, which DCAT-AP.de "
               "requires",
               "Distribution hat keine dcat:accessURL, die DCAT-AP.de "
               "vorschreibt");
  return 0;
}

static int check_one_distribution(checker *c, const hv_term *dist,
                                  const hv_term *ds)
{
  int rc;

  c->kind_en = "distribution";
  c->kind_de = "Distribution";
  if ((rc = check_props(c, dist, distribution_rules,
                        sizeof(distribution_rules) /
                            sizeof(distribution_rules[0]))) < 0 ||
      (rc = check_titles(c, dist)) < 0 ||
      (rc = check_access_url(c, dist)) < 0 ||
      (rc = check_license(c, dist, ds)) < 0 ||
      (rc = check_format(c, dist)) < 0)
    return rc;
  return 0;
}

/* ------------------------------------------------------------------ */
/* Values anywhere in the graph                                        */
/* ------------------------------------------------------------------ */

/* An optional time zone, Z or (+|-)hh:mm up to 14:00, then the end. */
static int zone_end(const char *s)
{
  return hv__lex_zone(&s) && *s == '\0';
}

/* A year: an optional minus, four digits, or more without a leading
 * zero (xsd 1.1). */
static int year(const char **s)
{
  const char *p = *s, *first;
  int v;

  if (*p == '-')
    p++;
  first = p;
  if (!hv__lex_digits(&p, 4, &v))
    return 0;
  while (*p >= '0' && *p <= '9')
    p++;
  if (p - first > 4 && *first == '0')
    return 0;
  *s = p;
  return 1;
}

static int xsd_valid(const char *dt, const char *s)
{
  static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  int mo, d, h, mi, sec;
  const char *p = s;
  int is_dt = strcmp(dt, HV_XSD "dateTime") == 0;

  if (!year(&p))
    return 0;
  if (strcmp(dt, HV_XSD "gYear") == 0)
    return zone_end(p);
  if (*p++ != '-' || !hv__lex_digits(&p, 2, &mo) || mo < 1 || mo > 12)
    return 0;
  if (strcmp(dt, HV_XSD "gYearMonth") == 0)
    return zone_end(p);
  if (*p++ != '-' || !hv__lex_digits(&p, 2, &d) || d < 1 || d > mdays[mo - 1])
    return 0;
  if (mo == 2 && d == 29) {
    const char *y = s + (*s == '-');
    long yv = 0;

    for (; *y >= '0' && *y <= '9'; y++)
      yv = yv * 10 + (*y - '0');
    if (!((yv % 4 == 0 && yv % 100 != 0) || yv % 400 == 0))
      return 0;
  }
  if (!is_dt)
    return zone_end(p);
  if (*p++ != 'T' || !hv__lex_time(&p, &h, &mi, &sec) || h > 24)
    return 0;
  if (h == 24 && (mi || sec))
    return 0;
  return zone_end(p);
}

static int is_date_type(const char *dt)
{
  return dt && (strcmp(dt, HV_XSD "date") == 0 ||
                strcmp(dt, HV_XSD "dateTime") == 0 ||
                strcmp(dt, HV_XSD "gYear") == 0 ||
                strcmp(dt, HV_XSD "gYearMonth") == 0);
}

/* The DCAT-AP date shape: typed xsd:date, dateTime, gYear or gYearMonth,
 * and then a valid lexical form of that type. */
static int check_dates(checker *c)
{
  char en[320], de[320], v[MSG_VALUE_MAX + 8];
  size_t i;
  int rc;

  for (i = 0; i < c->g->len; i++) {
    const hv_quad *q = &c->g->quads[i];
    const char *name;

    if (!hv__lex_is_date_pred(q->p.value))
      continue;
    quote(v, sizeof(v), q->o.value);
    if (q->o.kind != HV_TERM_LITERAL) {
      snprintf(en, sizeof(en), "date %s is not a literal", v);
      snprintf(de, sizeof(de), "Datum %s ist kein Literal", v);
    } else if (!is_date_type(q->o.datatype)) {
      snprintf(en, sizeof(en), "date %s is not typed xsd:date, xsd:dateTime, "
               "xsd:gYear or xsd:gYearMonth", v);
      snprintf(de, sizeof(de), "Datum %s ist nicht als xsd:date, "
               "xsd:dateTime, xsd:gYear oder xsd:gYearMonth typisiert", v);
    } else if (!xsd_valid(q->o.datatype, q->o.value)) {
      name = strrchr(q->o.datatype, '#') + 1;
      snprintf(en, sizeof(en), "date %s is not a valid xsd:%s", v, name);
      snprintf(de, sizeof(de), "Datum %s ist kein gültiges xsd:%s", v, name);
    } else {
      continue;
    }
    if ((rc = add(c, "check.date", HV_SEVERITY_VIOLATION, &q->s, q->p.value,
                  &q->o, en, de)) < 0)
      return rc;
  }
  return 0;
}

/* RFC 3986: an absolute IRI starts with a scheme and a colon. */
static int is_absolute(const char *s)
{
  const char *p = s;

  if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')))
    return 0;
  for (p++; *p && *p != ':'; p++)
    if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
          (*p >= '0' && *p <= '9') || *p == '+' || *p == '-' || *p == '.'))
      return 0;
  return *p == ':';
}

/* A relative IRI cannot be resolved by anyone downstream; each distinct
 * one is reported once, on the first triple it appears in. */
static int check_iris(checker *c)
{
  char en[320], de[320], v[MSG_VALUE_MAX + 8];
  size_t i, k;
  int rc;

  for (i = 0; i < c->g->len; i++) {
    const hv_quad *q = &c->g->quads[i];
    const hv_term *ts[3];

    ts[0] = &q->s;
    ts[1] = &q->p;
    ts[2] = &q->o;
    for (k = 0; k < 3; k++) {
      const hv_term *t = ts[k];
      size_t j;
      int seen = 0;

      if (t->kind != HV_TERM_IRI || is_absolute(t->value))
        continue;
      for (j = 0; j < i && !seen; j++)
        seen = hv_term_equal(&c->g->quads[j].s, t) ||
               hv_term_equal(&c->g->quads[j].p, t) ||
               hv_term_equal(&c->g->quads[j].o, t);
      for (j = 0; j < k && !seen; j++)
        seen = hv_term_equal(ts[j], t);
      if (seen)
        continue;
      quote(v, sizeof(v), t->value);
      snprintf(en, sizeof(en), "relative IRI %s", v);
      snprintf(de, sizeof(de), "relative IRI %s", v);
      if ((rc = add(c, "check.iri", HV_SEVERITY_VIOLATION, &q->s, q->p.value,
                    t, en, de)) < 0)
        return rc;
    }
  }
  return 0;
}

/* ------------------------------------------------------------------ */
/* Entry points                                                        */
/* ------------------------------------------------------------------ */

static void checker_init(checker *c, const hv_profile *p, const hv_graph *g,
                         hv_findings *f, hv_error *err)
{
  memset(c, 0, sizeof(*c));
  c->p = p;
  c->g = g;
  c->f = f;
  c->err = err;
  hv_buf_init(&c->nt_s, TERM_MAX);
  hv_buf_init(&c->nt_v, TERM_MAX);
}

static int checker_done(checker *c, int rc, size_t start)
{
  if (rc < 0)
    hv_findings_truncate(c->f, start);
  hv_buf_fini(&c->nt_s);
  hv_buf_fini(&c->nt_v);
  return rc;
}

static int find_dataset(const hv_graph *g, const char *name, hv_term *out)
{
  if (name) {
    node_term(out, name);
    return 1;
  }
  return hv__graph_first_of_class(g, C_DATASET, out);
}

int hv_check_dataset(const hv_profile *p, const hv_graph *mapped,
                     const char *dataset_iri, hv_findings *findings,
                     hv_error *err)
{
  size_t i, j, start = findings->len;
  checker c;
  hv_term ds;
  int rc = 0;

  checker_init(&c, p, mapped, findings, err);
  if (!find_dataset(mapped, dataset_iri, &ds)) {
    rc = hv_findings_add(findings, "check.dataset", HV_SEVERITY_VIOLATION,
                         NULL, P_TYPE, NULL, NULL,
                         "graph has no node typed dcat:Dataset",
                         "Graph hat keinen als dcat:Dataset typisierten "
                         "Knoten",
                         err);
    goto cleanup;
  }
  c.kind_en = "dataset";
  c.kind_de = "Datensatz";
  if ((rc = check_props(&c, &ds, dataset_rules,
                        sizeof(dataset_rules) / sizeof(dataset_rules[0]))) <
          0 ||
      (rc = check_titles(&c, &ds)) < 0 ||
      (rc = check_contributor(&c, &ds)) < 0 ||
      (rc = check_publisher(&c, &ds)) < 0 ||
      (rc = check_keywords(&c, &ds)) < 0)
    goto cleanup;
  for (i = 0; i < mapped->len; i++) {
    const hv_quad *q = &mapped->quads[i];
    int dup = 0;

    if (!is_pred(q, &ds, P_DIST) || q->o.kind == HV_TERM_LITERAL)
      continue;
    for (j = 0; j < i && !dup; j++)
      dup = is_pred(&mapped->quads[j], &ds, P_DIST) &&
            hv_term_equal(&mapped->quads[j].o, &q->o);
    if (!dup && (rc = check_one_distribution(&c, &q->o, &ds)) < 0)
      goto cleanup;
  }
  if ((rc = check_dates(&c)) < 0 || (rc = check_iris(&c)) < 0)
    goto cleanup;

cleanup:
  return checker_done(&c, rc, start);
}

int hv_check_distribution(const hv_profile *p, const hv_graph *mapped,
                          const char *distribution, hv_findings *findings,
                          hv_error *err)
{
  size_t start = findings->len;
  checker c;
  hv_term dist;
  int rc;

  checker_init(&c, p, mapped, findings, err);
  node_term(&dist, distribution);
  rc = check_one_distribution(&c, &dist, NULL);
  return checker_done(&c, rc, start);
}

size_t hv_findings_count(const hv_findings *f, hv_severity s)
{
  size_t i, n = 0;

  for (i = 0; i < f->len; i++)
    n += f->items[i].severity == s;
  return n;
}
