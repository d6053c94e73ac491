/*
 * The check stage (see check.h): a handful of passes over one mapped
 * dataset graph, first over the dataset node, then over each of its
 * distributions, then over every triple for values that are wrong
 * wherever they appear (dates, relative IRIs).
 *
 * The cardinalities come from the DCAT-AP 2.1.1 shapes that DCAT-AP.de
 * 2.0 builds on, its German additions and GovData's convention shapes;
 * the tables below carry them as data so that a missing property and a
 * repeated one are reported by the same code.
 *
 * Every harvested dataset is checked, so the check is on the harvest's
 * hot path. Comparing subject and predicate IRIs as strings in every
 * pass was most of its cost; instead each call first indexes the graph
 * once (see qindex below): every triple gets the id of its predicate
 * from the table of predicates the rules know, and the triples of each
 * subject are chained together in graph order. A pass over one node then
 * walks that node's few triples and compares small integers. The
 * messages of the missing-property rules are string literals built by
 * the rule tables, and the N-Triples form of a node is written once for
 * all the findings about it.
 */
#include "check/check.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "check/index.h"
#include "decode/page.h"
#include "map/lexical.h"
#include "map/lookup.h"
#include "util/alloc.h"
#include "util/buf.h"

/* A term longer than this is not quoted but reported as too big. */
#define TERM_MAX ((size_t)64 << 20)
/* Values quoted in messages are cut to this many bytes. */
#define MSG_VALUE_MAX 100


#define P_TYPE HV_RDF "type"
#define C_DATASET HV_DCAT "Dataset"

/* No finding when the property is missing. */
#define NONE (-1)

/* ------------------------------------------------------------------ */
/* Rule tables                                                         */
/* ------------------------------------------------------------------ */

/* One property of a class: what its absence costs, and whether it may
 * appear more than once. */
typedef struct prop_rule {
  int pred;           /* PR_* id */
  const char *name;   /* prefixed name for messages */
  int missing;        /* hv_severity when absent, or NONE */
  int once;           /* 1: at most one value */
  const char *miss_en; /* messages when absent (missing != NONE) */
  const char *miss_de;
} prop_rule;

#define AP "DCAT-AP.de"
#define GD "GovData"

#define DS_EN "dataset"
#define DS_DE "Datensatz"
#define DIST_EN "distribution"
#define DIST_DE "Distribution"

/* A property the source requires: a violation when absent. The
 * messages are literals, as every part of them is known here. */
#define REQUIRED(kind, pr, name, once, src)                                 \
  {pr, name, HV_SEVERITY_VIOLATION, once,                                  \
   kind##_EN " has no " name ", which " src " requires",                   \
   kind##_DE " hat kein " name ", das " src " vorschreibt"}
/* A property the source recommends: sev (warning or info) when absent. */
#define RECOMMENDED(kind, pr, name, sev, once, src)                         \
  {pr, name, sev, once, kind##_EN " has no " name ", which " src           \
                        " recommends",                                     \
   kind##_DE " hat kein " name ", das " src " empfiehlt"}
/* A property with an upper bound of one and no rule when absent. */
#define AT_MOST_ONE(pr, name) {pr, name, NONE, 1, NULL, NULL}

static const prop_rule dataset_rules[] = {
    REQUIRED(DS, PR_TITLE, "dct:title", 0, AP),
    REQUIRED(DS, PR_DESCRIPTION, "dct:description", 0, AP),
    /* Missing publisher and keyword have rules of their own. */
    AT_MOST_ONE(PR_PUBLISHER, "dct:publisher"),
    RECOMMENDED(DS, PR_THEME, "dcat:theme", HV_SEVERITY_WARNING, 0, GD),
    RECOMMENDED(DS, PR_LANDING_PAGE, "dcat:landingPage", HV_SEVERITY_WARNING,
                0, GD),
    RECOMMENDED(DS, PR_ISSUED, "dct:issued", HV_SEVERITY_WARNING, 1, GD),
    RECOMMENDED(DS, PR_MODIFIED, "dct:modified", HV_SEVERITY_INFO, 1, GD),
    RECOMMENDED(DS, PR_IDENTIFIER, "dct:identifier", HV_SEVERITY_INFO, 0, GD),
    RECOMMENDED(DS, PR_DISTRIBUTION, "dcat:distribution", HV_SEVERITY_INFO, 0,
                GD),
    RECOMMENDED(DS, PR_CONTACT_POINT, "dcat:contactPoint", HV_SEVERITY_INFO,
                0, AP),
    RECOMMENDED(DS, PR_SPATIAL, "dct:spatial", HV_SEVERITY_INFO, 0, AP),
    RECOMMENDED(DS, PR_TEMPORAL, "dct:temporal", HV_SEVERITY_INFO, 0, AP),
    AT_MOST_ONE(PR_ACCESS_RIGHTS, "dct:accessRights"),
    AT_MOST_ONE(PR_PERIODICITY, "dct:accrualPeriodicity"),
    AT_MOST_ONE(PR_VERSION_INFO, "owl:versionInfo"),
    AT_MOST_ONE(PR_DCT_TYPE, "dct:type"),
    AT_MOST_ONE(PR_TEMPORAL_RES, "dcat:temporalResolution"),
    AT_MOST_ONE(PR_SPATIAL_RES, "dcat:spatialResolutionInMeters"),
    AT_MOST_ONE(PR_QUALITY_PROCESS, "dcatde:qualityProcessURI"),
    AT_MOST_ONE(PR_GRANULARITY, "dcat:granularity"),
    AT_MOST_ONE(PR_AVAILABILITY, "dcatap:availability"),
};

static const prop_rule distribution_rules[] = {
    /* Missing accessURL and licence have rules of their own. */
    AT_MOST_ONE(PR_LICENSE, "dct:license"),
    RECOMMENDED(DIST, PR_FORMAT, "dct:format", HV_SEVERITY_INFO, 1, AP),
    RECOMMENDED(DIST, PR_TITLE, "dct:title", HV_SEVERITY_WARNING, 0, GD),
    RECOMMENDED(DIST, PR_DESCRIPTION, "dct:description", HV_SEVERITY_INFO, 0,
                AP),
    AT_MOST_ONE(PR_ISSUED, "dct:issued"),
    AT_MOST_ONE(PR_MODIFIED, "dct:modified"),
    AT_MOST_ONE(PR_RIGHTS, "dct:rights"),
    AT_MOST_ONE(PR_CHECKSUM, "spdx:checksum"),
    AT_MOST_ONE(PR_STATUS, "adms:status"),
    AT_MOST_ONE(PR_BYTE_SIZE, "dcat:byteSize"),
    AT_MOST_ONE(PR_MEDIA_TYPE, "dcat:mediaType"),
    AT_MOST_ONE(PR_HAS_POLICY, "odrl:hasPolicy"),
    AT_MOST_ONE(PR_COMPRESS_FORMAT, "dcat:compressFormat"),
    AT_MOST_ONE(PR_PACKAGE_FORMAT, "dcat:packageFormat"),
    AT_MOST_ONE(PR_AVAILABILITY, "dcatap:availability"),
    AT_MOST_ONE(PR_TEMPORAL_RES, "dcat:temporalResolution"),
    AT_MOST_ONE(PR_SPATIAL_RES, "dcat:spatialResolutionInMeters"),
};

/* ------------------------------------------------------------------ */
/* The checker                                                         */
/* ------------------------------------------------------------------ */

#define NIL HV__CHECK_NIL

typedef hv__check_node node;

typedef struct checker {
  const hv_profile *p;
  const hv_graph *g;
  hv_findings *f;
  hv_error *err;
  hv_buf nt_s; /* finding scratch: subject and value */
  hv_buf nt_v;
  const hv_term *nt_s_of; /* the term whose N-Triples nt_s holds, or NULL */
  const char *kind_en;    /* "dataset" or "distribution" */
  const char *kind_de;
  hv__check_index ix;
} checker;

/* ------------------------------------------------------------------ */
/* Helpers                                                             */
/* ------------------------------------------------------------------ */

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
 * finding's old_value. The N-Triples form of s is kept for the next
 * finding about the same term, as most findings are about the node being
 * checked. */
static int add(checker *c, const char *rule, hv_severity sev,
               const hv_term *s, const char *pred, const hv_term *value,
               const char *en, const char *de)
{
  int rc = 0;

  if (s != c->nt_s_of) {
    c->nt_s_of = NULL;
    hv_buf_reset(&c->nt_s);
    if ((rc = hv_term_write_nt(&c->nt_s, s)) == 0)
      c->nt_s_of = s;
  }
  if (rc == 0 && value) {
    hv_buf_reset(&c->nt_v);
    rc = hv_term_write_nt(&c->nt_v, value);
  }
  if (rc < 0)
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

/* Walks the triples of node n in graph order. */
#define EACH(c, n, i) for ((i) = (n)->first; (i) != NIL; (i) = (c)->ix.next[i])

/* ------------------------------------------------------------------ */
/* Cardinalities                                                       */
/* ------------------------------------------------------------------ */

/* Counts each known predicate on n in one walk, then applies the rules:
 * a missing property and a repeated one, in the order of the table. */
static int check_props(checker *c, const node *n, const prop_rule *rules,
                       size_t n_rules)
{
  size_t count[PR_COUNT];
  char en[256], de[256];
  size_t i, k;
  int rc;

  memset(count, 0, sizeof(count));
  EACH(c, n, i)
    count[c->ix.pred[i]]++;
  for (i = 0; i < n_rules; i++) {
    const prop_rule *r = &rules[i];
    const char *pred = hv__check_preds[r->pred].iri;

    k = count[r->pred];
    if (k == 0 && r->missing != NONE &&
        (rc = add(c, r->missing == HV_SEVERITY_VIOLATION ? "check.mandatory"
                                                         : "check.recommended",
                  (hv_severity)r->missing, n->t, pred, NULL, r->miss_en,
                  r->miss_de)) < 0)
      return rc;
    if (k > 1 && r->once) {
      /* Every upper bound comes from the DCAT-AP shapes. */
      snprintf(en, sizeof(en), "%s has %zu values of %s, %s allows one",
               c->kind_en, k, r->name, AP);
      snprintf(de, sizeof(de), "%s hat %zu Werte für %s, %s erlaubt einen",
               c->kind_de, k, r->name, AP);
      if ((rc = add(c, "check.cardinality", HV_SEVERITY_VIOLATION, n->t, pred,
                    NULL, en, de)) < 0)
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
static int check_titles(checker *c, const node *n)
{
  const char *p_title = hv__check_preds[PR_TITLE].iri;
  char en[256], de[256], langs[160] = "", v[MSG_VALUE_MAX + 8];
  size_t i, j, nlang = 0, langs_len = 0, lang_len;
  int rc;

  EACH(c, n, i) {
    const hv_quad *q = &c->g->quads[i];
    const char *lang;
    int dup = 0;

    if (c->ix.pred[i] != PR_TITLE)
      continue;
    if (q->o.kind != HV_TERM_LITERAL) {
      snprintf(en, sizeof(en), "%s title is not a literal", c->kind_en);
      snprintf(de, sizeof(de), "Titel der %s ist kein Literal",
               strcmp(c->kind_en, "dataset") == 0 ? "Datensatzes"
                                                  : "Distribution");
      if ((rc = add(c, "check.title", HV_SEVERITY_VIOLATION, n->t, p_title,
                    &q->o, en, de)) < 0)
        return rc;
      continue;
    }
    if (blank_text(q->o.value)) {
      snprintf(en, sizeof(en), "%s has an empty title", c->kind_en);
      snprintf(de, sizeof(de), "%s hat einen leeren Titel", c->kind_de);
      if ((rc = add(c, "check.title", HV_SEVERITY_VIOLATION, n->t, p_title,
                    &q->o, en, de)) < 0)
        return rc;
      continue;
    }
    lang = q->o.lang ? q->o.lang : "";
    /* Earlier titles of the same node; a node has few. */
    for (j = n->first; j != i; j = c->ix.next[j]) {
      const hv_quad *e = &c->g->quads[j];
      const char *el;

      if (c->ix.pred[j] != PR_TITLE || e->o.kind != HV_TERM_LITERAL ||
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
      if ((rc = add(c, "check.title", HV_SEVERITY_WARNING, n->t, p_title,
                    &q->o, en, de)) < 0)
        return rc;
      continue;
    }
    nlang++;
    /* The list is cut rather than the message; every title is checked,
     * so this runs for every dataset and distribution. */
    lang_len = strlen(lang);
    if (langs_len + lang_len + 8 < sizeof(langs)) {
      if (nlang > 1) {
        memcpy(langs + langs_len, ", ", 2);
        langs_len += 2;
      }
      if (!*lang) {
        lang = "none";
        lang_len = 4;
      }
      memcpy(langs + langs_len, lang, lang_len + 1);
      langs_len += lang_len;
    }
  }
  if (nlang > 1) {
    snprintf(en, sizeof(en), "%s has titles in %zu languages (%s); GovData "
             "shows one", c->kind_en, nlang, langs);
    snprintf(de, sizeof(de), "%s hat Titel in %zu Sprachen (%s); GovData "
             "zeigt einen an", c->kind_de, nlang, langs);
    if ((rc = add(c, "check.title", HV_SEVERITY_INFO, n->t, p_title, NULL, en,
                  de)) < 0)
      return rc;
  }
  return 0;
}

/* ------------------------------------------------------------------ */
/* GovData conventions on the dataset                                  */
/* ------------------------------------------------------------------ */

/* Returns 1 if an earlier triple of n (before quad i, which is one of
 * n's) has predicate id pr and the same object as quad i. */
static int seen_before(const checker *c, const node *n, size_t i, int pr)
{
  size_t j;

  for (j = n->first; j != i; j = c->ix.next[j])
    if (c->ix.pred[j] == pr &&
        hv_term_equal(&c->g->quads[j].o, &c->g->quads[i].o))
      return 1;
  return 0;
}

/*
 * Konvention 12/13: exactly one dcatde:contributorID from the dcat-ap.de
 * list. Values beside that one (an IRI outside the list, a literal) do not
 * break the rule, as GovData's dashboard counts only listed IDs, but they
 * are reported as warnings.
 */
static int check_contributor(checker *c, const node *ds)
{
  const char *p_contrib = hv__check_preds[PR_CONTRIBUTOR].iri;
  char en[320], de[320], v[MSG_VALUE_MAX + 8];
  size_t i, listed = 0, total = 0;
  int rc;

  EACH(c, ds, i) {
    const hv_quad *q = &c->g->quads[i];

    if (c->ix.pred[i] != PR_CONTRIBUTOR ||
        seen_before(c, ds, i, PR_CONTRIBUTOR))
      continue;
    total++;
    listed += q->o.kind == HV_TERM_IRI &&
              hv_profile_is_contributor(c->p, q->o.value);
  }
  if (total == 0)
    return add(c, "check.contributor", HV_SEVERITY_VIOLATION, ds->t,
               p_contrib, NULL, "dataset has no dcatde:contributorID; "
               "GovData expects exactly one from the dcat-ap.de list",
               "Datensatz hat keine dcatde:contributorID; GovData erwartet "
               "genau eine aus der dcat-ap.de-Liste");
  if (listed > 1) {
    snprintf(en, sizeof(en), "dataset has %zu dcatde:contributorID values "
             "from the dcat-ap.de list; GovData expects exactly one", listed);
    snprintf(de, sizeof(de), "Datensatz hat %zu dcatde:contributorID-Werte "
             "aus der dcat-ap.de-Liste; GovData erwartet genau einen",
             listed);
    if ((rc = add(c, "check.contributor", HV_SEVERITY_VIOLATION, ds->t,
                  p_contrib, NULL, en, de)) < 0)
      return rc;
  }
  EACH(c, ds, i) {
    const hv_quad *q = &c->g->quads[i];
    hv_severity sev = listed ? HV_SEVERITY_WARNING : HV_SEVERITY_VIOLATION;

    if (c->ix.pred[i] != PR_CONTRIBUTOR ||
        (q->o.kind == HV_TERM_IRI &&
         hv_profile_is_contributor(c->p, q->o.value)) ||
        seen_before(c, ds, i, PR_CONTRIBUTOR))
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
    if ((rc = add(c, "check.contributor", sev, ds->t, p_contrib, &q->o, en,
                  de)) < 0)
      return rc;
  }
  return 0;
}

/* Konvention 36 and the DCAT-AP agent shape: a publisher, with a name. */
static int check_publisher(checker *c, const node *ds)
{
  const char *p_pub = hv__check_preds[PR_PUBLISHER].iri;
  char en[320], de[320], v[MSG_VALUE_MAX + 8];
  size_t i, j, n = 0;
  int rc;

  EACH(c, ds, i) {
    const hv_quad *q = &c->g->quads[i];
    node pub;
    int named = 0;

    if (c->ix.pred[i] != PR_PUBLISHER)
      continue;
    n++;
    if (q->o.kind == HV_TERM_LITERAL) {
      quote(v, sizeof(v), q->o.value);
      snprintf(en, sizeof(en), "dct:publisher %s is a literal, not an "
               "agent with a foaf:name", v);
      snprintf(de, sizeof(de), "dct:publisher %s ist ein Literal, keine "
               "Organisation mit foaf:name", v);
      if ((rc = add(c, "check.publisher", HV_SEVERITY_VIOLATION, ds->t,
                    p_pub, &q->o, en, de)) < 0)
        return rc;
      continue;
    }
    pub = hv__check_node_of(&c->ix, c->g, &q->o);
    EACH(c, &pub, j) {
      const hv_quad *e = &c->g->quads[j];

      if (c->ix.pred[j] == PR_NAME && e->o.kind == HV_TERM_LITERAL &&
          !blank_text(e->o.value)) {
        named = 1;
        break;
      }
    }
    if (named)
      continue;
    quote(v, sizeof(v), q->o.value);
    if (q->o.kind == HV_TERM_IRI && pub.first == NIL) {
      snprintf(en, sizeof(en), "publisher %s is not described in the "
               "dataset, so it has no foaf:name", v);
      snprintf(de, sizeof(de), "Herausgeber %s wird im Datensatz nicht "
               "beschrieben und hat daher keinen foaf:name", v);
    } else {
      snprintf(en, sizeof(en), "publisher has no foaf:name");
      snprintf(de, sizeof(de), "Herausgeber hat keinen foaf:name");
    }
    if ((rc = add(c, "check.publisher", HV_SEVERITY_VIOLATION, ds->t, p_pub,
                  &q->o, en, de)) < 0)
      return rc;
  }
  if (n == 0)
    return add(c, "check.publisher", HV_SEVERITY_VIOLATION, ds->t, p_pub,
               NULL, "dataset has no dct:publisher, which GovData requires",
               "Datensatz hat keinen dct:publisher, den GovData "
               "vorschreibt");
  return 0;
}

/* At least one keyword, and keywords are text (the dashboard does not
 * count IRIs). */
static int check_keywords(checker *c, const node *ds)
{
  const char *p_kw = hv__check_preds[PR_KEYWORD].iri;
  char en[320], de[320], v[MSG_VALUE_MAX + 8];
  size_t i, n = 0;
  int rc;

  EACH(c, ds, i) {
    const hv_quad *q = &c->g->quads[i];

    if (c->ix.pred[i] != PR_KEYWORD)
      continue;
    if (q->o.kind != HV_TERM_LITERAL) {
      quote(v, sizeof(v), q->o.value);
      snprintf(en, sizeof(en), "keyword %s is an IRI, not a text", v);
      snprintf(de, sizeof(de), "Schlagwort %s ist eine IRI, kein Text", v);
      if ((rc = add(c, "check.keyword", HV_SEVERITY_INFO, ds->t, p_kw,
                    &q->o, en, de)) < 0)
        return rc;
    } else if (blank_text(q->o.value)) {
      if ((rc = add(c, "check.keyword", HV_SEVERITY_WARNING, ds->t, p_kw,
                    &q->o, "keyword is empty", "Schlagwort ist leer")) < 0)
        return rc;
    } else {
      n++;
    }
  }
  if (n == 0)
    return add(c, "check.keyword", HV_SEVERITY_WARNING, ds->t, p_kw, NULL,
               "dataset has no keyword, which GovData recommends",
               "Datensatz hat kein Schlagwort, das GovData empfiehlt");
  return 0;
}

/* ------------------------------------------------------------------ */
/* Distributions                                                       */
/* ------------------------------------------------------------------ */

/* Konvention 31: a licence from the list on every distribution. ds may
 * be NULL (a distribution checked on its own). */
static int check_license(checker *c, const node *dist, const node *ds)
{
  const char *p_lic = hv__check_preds[PR_LICENSE].iri;
  char en[320], de[320], v[MSG_VALUE_MAX + 8];
  size_t i;
  int rc, n = 0;

  EACH(c, dist, i) {
    const hv_quad *q = &c->g->quads[i];

    if (c->ix.pred[i] != PR_LICENSE)
      continue;
    n++;
    /* An open licence is a listed one: one lookup for the usual case. */
    if (q->o.kind == HV_TERM_IRI &&
        hv_profile_license_is_open(c->p, q->o.value))
      continue;
    if (q->o.kind == HV_TERM_IRI && hv_profile_is_license(c->p, q->o.value)) {
      quote(v, sizeof(v), q->o.value);
      snprintf(en, sizeof(en), "licence %s is not an open licence", v);
      snprintf(de, sizeof(de), "Lizenz %s ist keine offene Lizenz", v);
      if ((rc = add(c, "check.license", HV_SEVERITY_INFO, dist->t, p_lic,
                    &q->o, en, de)) < 0)
        return rc;
      continue;
    }
    quote(v, sizeof(v), q->o.value);
    snprintf(en, sizeof(en), "licence %s is not in the dcat-ap.de licence "
             "list", v);
    snprintf(de, sizeof(de), "Lizenz %s steht nicht in der "
             "dcat-ap.de-Lizenzliste", v);
    if ((rc = add(c, "check.license", HV_SEVERITY_VIOLATION, dist->t, p_lic,
                  &q->o, en, de)) < 0)
      return rc;
  }
  if (n > 0)
    return 0;
  if (ds) {
    EACH(c, ds, i) {
      const hv_quad *q = &c->g->quads[i];

      if (c->ix.pred[i] != PR_LICENSE)
        continue;
      quote(v, sizeof(v), q->o.value);
      snprintf(en, sizeof(en), "distribution has no dct:license; licence %s "
               "is given on the dataset only", v);
      snprintf(de, sizeof(de), "Distribution hat keine dct:license; die "
               "Lizenz %s steht nur am Datensatz", v);
      return add(c, "check.license", HV_SEVERITY_VIOLATION, dist->t, p_lic,
                 &q->o, en, de);
    }
  }
  return add(c, "check.license", HV_SEVERITY_VIOLATION, dist->t, p_lic,
             NULL, "distribution has no dct:license, which GovData requires",
             "Distribution hat keine dct:license, die GovData vorschreibt");
}

/* Konvention 32: a given format is from the EU file-type list. */
static int check_format(checker *c, const node *dist)
{
  char en[320], de[320], v[MSG_VALUE_MAX + 8];
  size_t i;
  int rc;

  EACH(c, dist, i) {
    const hv_quad *q = &c->g->quads[i];

    if (c->ix.pred[i] != PR_FORMAT ||
        (q->o.kind == HV_TERM_IRI && hv_profile_is_filetype(c->p, q->o.value)))
      continue;
    quote(v, sizeof(v), q->o.value);
    snprintf(en, sizeof(en), "format %s is not in the EU file-type list", v);
    snprintf(de, sizeof(de), "Format %s steht nicht in der EU-Liste der "
             "Dateitypen", v);
    if ((rc = add(c, "check.format", HV_SEVERITY_VIOLATION, dist->t,
                  hv__check_preds[PR_FORMAT].iri, &q->o, en, de)) < 0)
      return rc;
  }
  return 0;
}

/* DCAT-AP: every distribution has an accessURL, and it is an IRI. */
static int check_access_url(checker *c, const node *dist)
{
  const char *p_access = hv__check_preds[PR_ACCESS_URL].iri;
  char en[320], de[320], v[MSG_VALUE_MAX + 8];
  size_t i, n = 0;
  int rc;

  EACH(c, dist, i) {
    const hv_quad *q = &c->g->quads[i];

    if (c->ix.pred[i] != PR_ACCESS_URL)
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
    if ((rc = add(c, "check.access-url", HV_SEVERITY_VIOLATION, dist->t,
                  p_access, &q->o, en, de)) < 0)
      return rc;
  }
  if (n == 0)
    return add(c, "check.access-url", HV_SEVERITY_VIOLATION, dist->t,
               p_access, NULL, "distribution has no dcat:accessURL, which "
               "DCAT-AP.de requires",
               "Distribution hat keine dcat:accessURL, die DCAT-AP.de "
               "vorschreibt");
  return 0;
}

/* dist is one of ds's distributions, or ds is NULL. */
static int check_one_distribution(checker *c, const hv_term *t,
                                  const node *ds)
{
  node dist = hv__check_node_of(&c->ix, c->g, t);
  int rc;

  c->kind_en = DIST_EN;
  c->kind_de = DIST_DE;
  if ((rc = check_props(c, &dist, distribution_rules,
                        sizeof(distribution_rules) /
                            sizeof(distribution_rules[0]))) < 0 ||
      (rc = check_titles(c, &dist)) < 0 ||
      (rc = check_access_url(c, &dist)) < 0 ||
      (rc = check_license(c, &dist, ds)) < 0 ||
      (rc = check_format(c, &dist)) < 0)
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

/* The date datatypes the DCAT-AP date shape allows. */
typedef enum date_type {
  DT_NONE = 0, /* any other datatype, or none */
  DT_DATE,
  DT_DATE_TIME,
  DT_YEAR,
  DT_YEAR_MONTH
} date_type;

static date_type date_type_of(const char *dt)
{
  if (!dt)
    return DT_NONE;
  if (strcmp(dt, HV_XSD "date") == 0)
    return DT_DATE;
  if (strcmp(dt, HV_XSD "dateTime") == 0)
    return DT_DATE_TIME;
  if (strcmp(dt, HV_XSD "gYear") == 0)
    return DT_YEAR;
  if (strcmp(dt, HV_XSD "gYearMonth") == 0)
    return DT_YEAR_MONTH;
  return DT_NONE;
}

/* Returns 1 if s is a valid lexical form of type dt (not DT_NONE). */
static int xsd_valid(date_type dt, const char *s)
{
  static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  int mo, d, h, mi, sec;
  const char *p = s;
  int is_dt = dt == DT_DATE_TIME;

  if (!year(&p))
    return 0;
  if (dt == DT_YEAR)
    return zone_end(p);
  if (*p++ != '-' || !hv__lex_digits(&p, 2, &mo) || mo < 1 || mo > 12)
    return 0;
  if (dt == DT_YEAR_MONTH)
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
    date_type dt;

    if (!hv__check_preds[c->ix.pred[i]].date)
      continue;
    dt = q->o.kind == HV_TERM_LITERAL ? date_type_of(q->o.datatype) : DT_NONE;
    /* Most dates are valid: quote the value only for a finding. */
    if (dt != DT_NONE && xsd_valid(dt, q->o.value))
      continue;
    quote(v, sizeof(v), q->o.value);
    if (q->o.kind != HV_TERM_LITERAL) {
      snprintf(en, sizeof(en), "date %s is not a literal", v);
      snprintf(de, sizeof(de), "Datum %s ist kein Literal", v);
    } else if (dt == DT_NONE) {
      snprintf(en, sizeof(en), "date %s is not typed xsd:date, xsd:dateTime, "
               "xsd:gYear or xsd:gYearMonth", v);
      snprintf(de, sizeof(de), "Datum %s ist nicht als xsd:date, "
               "xsd:dateTime, xsd:gYear oder xsd:gYearMonth typisiert", v);
    } else {
      name = strrchr(q->o.datatype, '#') + 1;
      snprintf(en, sizeof(en), "date %s is not a valid xsd:%s", v, name);
      snprintf(de, sizeof(de), "Datum %s ist kein gültiges xsd:%s", v, name);
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

  /* Nearly every IRI in a harvest is http or https. */
  if (s[0] == 'h' && s[1] == 't' && s[2] == 't' && s[3] == 'p' &&
      (s[4] == ':' || (s[4] == 's' && s[5] == ':')))
    return 1;
  if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')))
    return 0;
  for (p++; *p && *p != ':'; p++)
    if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
          (*p >= '0' && *p <= '9') || *p == '+' || *p == '-' || *p == '.'))
      return 0;
  return *p == ':';
}

/*
 * A relative IRI cannot be resolved by anyone downstream; each distinct
 * one is reported once, on the first triple it appears in. A subject is
 * looked at only on the first triple of its node (on later ones it has
 * been seen), and a predicate the rules know is absolute.
 */
static int check_iris(checker *c)
{
  char en[320], de[320], v[MSG_VALUE_MAX + 8];
  size_t i, k;
  int rc;

  for (i = 0; i < c->g->len; i++) {
    const hv_quad *q = &c->g->quads[i];
    const hv_term *ts[3];

    ts[0] = c->ix.lead[i] ? &q->s : NULL;
    ts[1] = c->ix.pred[i] == PR_OTHER ? &q->p : NULL;
    ts[2] = &q->o;
    for (k = 0; k < 3; k++) {
      const hv_term *t = ts[k];
      size_t j;
      int seen = 0;

      if (!t || t->kind != HV_TERM_IRI || is_absolute(t->value))
        continue;
      for (j = 0; j < i && !seen; j++)
        seen = hv_term_equal(&c->g->quads[j].s, t) ||
               hv_term_equal(&c->g->quads[j].p, t) ||
               hv_term_equal(&c->g->quads[j].o, t);
      for (j = 0; j < k && !seen; j++)
        seen = ts[j] && hv_term_equal(ts[j], t);
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

/* Sets up c and indexes g; on failure c needs checker_done all the
 * same. */
static int checker_init(checker *c, const hv_profile *p, const hv_graph *g,
                        hv_findings *f, hv_error *err)
{
  c->p = p;
  c->g = g;
  c->f = f;
  c->err = err;
  c->nt_s_of = NULL;
  c->kind_en = DS_EN;
  c->kind_de = DS_DE;
  c->ix.heap = NULL;
  hv_buf_init(&c->nt_s, TERM_MAX);
  hv_buf_init(&c->nt_v, TERM_MAX);
  return hv__check_index_build(&c->ix, c->g, c->err);
}

static int checker_done(checker *c, int rc, size_t start)
{
  if (rc < 0)
    hv_findings_truncate(c->f, start);
  hv_buf_fini(&c->nt_s);
  hv_buf_fini(&c->nt_v);
  hv__check_index_fini(&c->ix);
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
  size_t i, start = findings->len;
  checker c;
  hv_term ds_term;
  node ds;
  int rc;

  if ((rc = checker_init(&c, p, mapped, findings, err)) < 0)
    goto cleanup;
  if (!find_dataset(mapped, dataset_iri, &ds_term)) {
    rc = hv_findings_add(findings, "check.dataset", HV_SEVERITY_VIOLATION,
                         NULL, P_TYPE, NULL, NULL,
                         "graph has no node typed dcat:Dataset",
                         "Graph hat keinen als dcat:Dataset typisierten "
                         "Knoten",
                         err);
    goto cleanup;
  }
  ds = hv__check_node_of(&c.ix, c.g, &ds_term);
  if ((rc = check_props(&c, &ds, dataset_rules,
                        sizeof(dataset_rules) / sizeof(dataset_rules[0]))) <
          0 ||
      (rc = check_titles(&c, &ds)) < 0 ||
      (rc = check_contributor(&c, &ds)) < 0 ||
      (rc = check_publisher(&c, &ds)) < 0 ||
      (rc = check_keywords(&c, &ds)) < 0)
    goto cleanup;
  EACH(&c, &ds, i) {
    const hv_quad *q = &mapped->quads[i];

    if (c.ix.pred[i] != PR_DISTRIBUTION || q->o.kind == HV_TERM_LITERAL ||
        seen_before(&c, &ds, i, PR_DISTRIBUTION))
      continue;
    if ((rc = check_one_distribution(&c, &q->o, &ds)) < 0)
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

  if ((rc = checker_init(&c, p, mapped, findings, err)) < 0)
    goto cleanup;
  node_term(&dist, distribution);
  rc = check_one_distribution(&c, &dist, NULL);

cleanup:
  return checker_done(&c, rc, start);
}

size_t hv_findings_count(const hv_findings *f, hv_severity s)
{
  size_t i, n = 0;

  for (i = 0; i < f->len; i++)
    n += f->items[i].severity == s;
  return n;
}
