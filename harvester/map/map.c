/*
 * The map stage (see map.h): one pass over a dataset graph that rewrites
 * each triple through the repair and normalisation rules in a fixed
 * order, then one per-dataset pass for the contributorID convention.
 *
 * Each rule that changes a term records a finding at once, with the term
 * as it was before that rule and as it is after it, so a value touched by
 * three rules (a licence literal with a no-break space that is also a
 * legacy IRI) gives three findings that read as a chain. Rewritten terms
 * live in scratch buffers of the mapper until hv_graph_add copies them
 * into the output graph's arena.
 */
#include "map/map.h"

#include <assert.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "decode/page.h"
#include "map/lexical.h"
#include "map/lookup.h"
#include "util/alloc.h"
#include "util/buf.h"

/* A literal longer than this is not rewritten but reported as too big. */
#define TERM_MAX ((size_t)64 << 20)
/* Values quoted in messages are cut to this many bytes. */
#define MSG_VALUE_MAX 100

#define P_TYPE HV_RDF "type"
#define P_CONTRIB HV_DCATDE "contributorID"
#define P_LICENSE HV_DCT "license"
#define P_FORMAT HV_DCT "format"
#define P_THEME HV_DCAT "theme"
#define P_LANGUAGE HV_DCT "language"
#define P_MEDIATYPE HV_DCAT "mediaType"
#define IANA "http://www.iana.org/assignments/media-types/"
#define P_SPATIAL HV_DCT "spatial"
#define P_GEOCODING HV_DCATDE "politicalGeocodingURI"
#define C_DATASET HV_DCAT "Dataset"
#define XSD_DATE HV_XSD "date"
#define XSD_DATETIME HV_XSD "dateTime"

/* ------------------------------------------------------------------ */
/* Findings                                                            */
/* ------------------------------------------------------------------ */

void hv_findings_init(hv_findings *f)
{
  memset(f, 0, sizeof(*f));
}

void hv_findings_truncate(hv_findings *f, size_t len)
{
  while (f->len > len) {
    f->len--;
    /* rule heads the finding's single block (see hv_findings_add). */
    hv_free((void *)f->items[f->len].rule);
  }
}

void hv_findings_fini(hv_findings *f)
{
  hv_findings_truncate(f, 0);
  hv_free(f->items);
  memset(f, 0, sizeof(*f));
}

const char *hv_severity_name(hv_severity s)
{
  switch (s) {
  case HV_SEVERITY_INFO: return "info";
  case HV_SEVERITY_WARNING: return "warning";
  case HV_SEVERITY_VIOLATION: return "violation";
  }
  return "unknown";
}

/* Copies s (or nothing for NULL) to *pos and returns the copy. */
static const char *pack(char **pos, const char *s)
{
  char *start = *pos;
  size_t n;

  if (!s)
    return NULL;
  n = strlen(s) + 1;
  memcpy(start, s, n);
  *pos += n;
  return start;
}

int hv_findings_add(hv_findings *f, const char *rule, hv_severity severity,
                    const char *subject, const char *predicate,
                    const char *old_value, const char *new_value,
                    const char *message, const char *message_de,
                    hv_error *err)
{
  const char *parts[7];
  size_t i, total = 0;
  hv_finding *x;
  char *block, *pos;

  parts[0] = rule;
  parts[1] = subject;
  parts[2] = predicate;
  parts[3] = old_value;
  parts[4] = new_value;
  parts[5] = message;
  parts[6] = message_de;
  assert(rule && message);
  for (i = 0; i < 7; i++)
    if (parts[i])
      total += strlen(parts[i]) + 1;
  if (f->len == f->cap) {
    size_t cap = f->cap ? f->cap * 2 : 8;
    hv_finding *items = hv_realloc(f->items, cap * sizeof(*items));

    if (!items)
      return hv_error_oom(err);
    f->items = items;
    f->cap = cap;
  }
  if (!(block = hv_malloc(total)))
    return hv_error_oom(err);
  pos = block;
  x = &f->items[f->len++];
  x->rule = pack(&pos, rule);
  x->subject = pack(&pos, subject);
  x->predicate = pack(&pos, predicate);
  x->old_value = pack(&pos, old_value);
  x->new_value = pack(&pos, new_value);
  x->message = pack(&pos, message);
  x->message_de = pack(&pos, message_de);
  x->severity = severity;
  return 0;
}

/* ------------------------------------------------------------------ */
/* Term helpers                                                        */
/* ------------------------------------------------------------------ */

/* Length of the white space character at s, or 0: ASCII white space and
 * the no-break spaces U+00A0, U+2007, U+202F and U+FEFF. */
static size_t space_at(const char *s)
{
  const unsigned char *u = (const unsigned char *)s;

  if (*u == ' ' || (*u >= '\t' && *u <= '\r'))
    return 1;
  if (u[0] == 0xc2 && u[1] == 0xa0)
    return 2;
  if (u[0] == 0xe2 && u[1] == 0x80 && (u[2] == 0x87 || u[2] == 0xaf))
    return 3;
  if (u[0] == 0xef && u[1] == 0xbb && u[2] == 0xbf)
    return 3;
  return 0;
}

/* Length of the white space character that ends at end, or 0; s is
 * where the string starts. In valid UTF-8 (the decoder lets nothing
 * else through) the bytes C2 A0, E2 80 87/AF and EF BB BF can only be
 * those characters, so they may be matched from behind. */
static size_t space_before(const char *s, const char *end)
{
  const unsigned char *u = (const unsigned char *)end;
  size_t n = (size_t)(end - s);

  if (n >= 1 && (u[-1] == ' ' || (u[-1] >= '\t' && u[-1] <= '\r')))
    return 1;
  if (n >= 2 && u[-2] == 0xc2 && u[-1] == 0xa0)
    return 2;
  if (n >= 3 && u[-3] == 0xe2 && u[-2] == 0x80 &&
      (u[-1] == 0x87 || u[-1] == 0xaf))
    return 3;
  if (n >= 3 && u[-3] == 0xef && u[-2] == 0xbb && u[-1] == 0xbf)
    return 3;
  return 0;
}

/* Finds the trimmed span of s: *start and *len. Returns 1 if it differs
 * from s. Only the ends are looked at: a long description costs one
 * strlen, not a test of every character. */
static int trim_span(const char *s, const char **start, size_t *len)
{
  const char *p = s, *end;
  size_t n;

  while ((n = space_at(p)) > 0)
    p += n;
  end = p + strlen(p);
  while (end > p && (n = space_before(p, end)) > 0)
    end -= n;
  *start = p;
  *len = (size_t)(end - p);
  return p != s || *end != '\0';
}

/* Returns 1 if s is an absolute http(s) IRI with a host and without
 * characters an IRI may not hold. */
static int is_http_iri(const char *s)
{
  const char *h;

  if (strncmp(s, "http://", 7) == 0)
    h = s + 7;
  else if (strncmp(s, "https://", 8) == 0)
    h = s + 8;
  else
    return 0;
  if (*h == '\0' || *h == '/')
    return 0;
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;

    if (c <= 0x20 || c == 0x7f || strchr("<>\"{}|\\^`", c))
      return 0;
  }
  return 1;
}

/* What the per-triple rules need to know of a predicate. */
typedef enum pred_kind {
  PK_OTHER = 0,
  PK_TYPE,
  PK_CONTRIB,
  PK_LICENSE,
  PK_FORMAT,
  PK_MEDIATYPE,
  PK_LANGUAGE,
  PK_THEME,
  PK_ACCESS_RIGHTS,
  PK_DATE,
  PK_GEOCODING_TEXT, /* DCAT-AP.de 1.0 names, renamed in 1.0.1 */
  PK_LEGALBASIS_TEXT
} pred_kind;

#define KNOWN(iri, kind) {iri, sizeof(iri) - 1, kind}

static const struct known_pred {
  const char *iri;
  size_t len;
  pred_kind kind;
} known_preds[] = {
    KNOWN(P_TYPE, PK_TYPE),
    KNOWN(P_CONTRIB, PK_CONTRIB),
    KNOWN(P_LICENSE, PK_LICENSE),
    KNOWN(P_FORMAT, PK_FORMAT),
    KNOWN(P_MEDIATYPE, PK_MEDIATYPE),
    KNOWN(P_LANGUAGE, PK_LANGUAGE),
    KNOWN(P_THEME, PK_THEME),
    KNOWN(HV_DCT "accessRights", PK_ACCESS_RIGHTS),
    KNOWN(HV_DCT "modified", PK_DATE),
    KNOWN(HV_DCT "issued", PK_DATE),
    KNOWN(HV_DCAT "startDate", PK_DATE),
    KNOWN(HV_DCAT "endDate", PK_DATE),
    KNOWN(HV_DCATDE "geocodingText", PK_GEOCODING_TEXT),
    KNOWN(HV_DCATDE "legalbasisText", PK_LEGALBASIS_TEXT),
};

/*
 * Classifies pred once per triple, so that the rules below switch on an
 * integer. Comparing lengths first leaves one or two memcmp calls per
 * triple; a chain of strcmp against every rule's predicate was a fifth
 * of the cost of mapping a clean dataset.
 */
static pred_kind classify(const char *pred)
{
  size_t i, n = strlen(pred);

  for (i = 0; i < sizeof(known_preds) / sizeof(known_preds[0]); i++)
    if (known_preds[i].len == n && memcmp(pred, known_preds[i].iri, n) == 0)
      return known_preds[i].kind;
  return PK_OTHER;
}

/* The predicates whose values are vocabulary IRIs. */
static int is_iri_valued(pred_kind k)
{
  return k == PK_CONTRIB || k == PK_LICENSE || k == PK_FORMAT ||
         k == PK_MEDIATYPE || k == PK_LANGUAGE || k == PK_THEME ||
         k == PK_ACCESS_RIGHTS;
}

/* ------------------------------------------------------------------ */
/* Dates                                                               */
/* ------------------------------------------------------------------ */

/* Reads one or two digits (for D.M.YYYY). */
static int digits12(const char **s, int *v)
{
  if ((*s)[0] >= '0' && (*s)[0] <= '9' && (*s)[1] >= '0' && (*s)[1] <= '9')
    return hv__lex_digits(s, 2, v);
  return hv__lex_digits(s, 1, v);
}

static int day_ok(int y, int m, int d)
{
  static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

  if (m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
    return 0;
  return m != 2 || d < 29 || leap;
}

/*
 * Parses a delivered date. On success writes the lexical form to out
 * (cap bytes), the datatype to *dt and returns 1; returns 0 for anything
 * else. YYYY-MM-DD[zone] is an xsd:date, with Thh:mm:ss[.f][zone] an
 * xsd:dateTime; D.M.YYYY is rewritten as the xsd:date YYYY-MM-DD.
 */
static int parse_date(const char *s, char *out, size_t cap, const char **dt)
{
  const char *p = s;
  int y, m, d, h, mi, sec;

  if (strlen(s) + 1 > cap)
    return 0;
  if (digits12(&p, &d) && *p == '.' && (p++, digits12(&p, &m)) && *p == '.' &&
      (p++, hv__lex_digits(&p, 4, &y)) && *p == '\0') {
    if (!day_ok(y, m, d))
      return 0;
    snprintf(out, cap, "%04d-%02d-%02d", y, m, d);
    *dt = XSD_DATE;
    return 1;
  }
  p = s;
  if (!hv__lex_digits(&p, 4, &y) || *p++ != '-' || !hv__lex_digits(&p, 2, &m) ||
      *p++ != '-' || !hv__lex_digits(&p, 2, &d) || !day_ok(y, m, d))
    return 0;
  *dt = XSD_DATE;
  if (*p == 'T') {
    p++;
    if (!hv__lex_time(&p, &h, &mi, &sec) || h > 23)
      return 0;
    *dt = XSD_DATETIME;
  }
  if (!hv__lex_zone(&p) || *p != '\0')
    return 0;
  memcpy(out, s, strlen(s) + 1);
  return 1;
}

/* ------------------------------------------------------------------ */
/* The mapper                                                          */
/* ------------------------------------------------------------------ */

typedef struct mapper {
  const hv_profile *p;
  hv_graph *out;
  int taken;    /* out's arena holds in's strings (hv_map_dataset_take) */
  hv_findings *f;
  hv_error *err;
  hv_buf pred;  /* repaired predicate */
  hv_buf type;  /* repaired rdf:type object */
  hv_buf val;   /* trimmed literal */
  hv_buf host;  /* vocabulary IRI moved to its canonical host */
  hv_buf nt_s;  /* finding scratch: subject, old and new value */
  hv_buf nt_o;
  hv_buf nt_n;
  hv_buf media; /* media type IRI */
  char date[96]; /* rewritten date */
  char tag[64];  /* normalised language tag */
} mapper;

/* Appends src (n bytes) to dst, which holds *have bytes of cap, as far
 * as it fits with the NUL. */
static void append(char *dst, size_t cap, size_t *have, const char *src,
                   size_t n)
{
  if (n > cap - 1 - *have)
    n = cap - 1 - *have;
  memcpy(dst + *have, src, n);
  *have += n;
  dst[*have] = '\0';
}

/* Writes msg followed by value quoted, at most MSG_VALUE_MAX bytes of it
 * without cutting a UTF-8 character in two and "..." if it was cut, into
 * out (cap bytes). A finding is written for every rewritten term of a
 * national harvest, so this avoids the printf machinery. */
static void with_value(char *out, size_t cap, const char *msg,
                       const char *value)
{
  size_t have = 0, n = strlen(value);
  int cut = n > MSG_VALUE_MAX;

  if (cut) {
    n = MSG_VALUE_MAX;
    while (n > 0 && ((unsigned char)value[n] & 0xc0) == 0x80)
      n--;
  }
  out[0] = '\0';
  append(out, cap, &have, msg, strlen(msg));
  append(out, cap, &have, "'", 1);
  append(out, cap, &have, value, n);
  if (cut)
    append(out, cap, &have, "...", 3);
  append(out, cap, &have, "'", 1);
}

/*
 * Records a finding on subject s and predicate pred; old and nw may be
 * NULL. msg and msg_de are the English and German messages, to whose end
 * value (may be NULL) is appended quoted and clipped.
 */
static int note(mapper *m, const char *rule, hv_severity sev,
                const hv_term *s, const char *pred, const hv_term *old,
                const hv_term *nw, const char *msg, const char *msg_de,
                const char *value)
{
  char text[256], text_de[256];
  int rc;

  hv_buf_reset(&m->nt_s);
  hv_buf_reset(&m->nt_o);
  hv_buf_reset(&m->nt_n);
  if ((rc = hv_term_write_nt(&m->nt_s, s)) < 0 ||
      (old && (rc = hv_term_write_nt(&m->nt_o, old)) < 0) ||
      (nw && (rc = hv_term_write_nt(&m->nt_n, nw)) < 0))
    return rc == HV_ENOMEM ? hv_error_oom(m->err)
                           : hv_error_set(m->err, rc, "map: term of %s "
                                          "too large to report", pred);
  if (value) {
    with_value(text, sizeof(text), msg, value);
    with_value(text_de, sizeof(text_de), msg_de, value);
    msg = text;
    msg_de = text_de;
  }
  return hv_findings_add(m->f, rule, sev, m->nt_s.ptr, pred,
                         old ? m->nt_o.ptr : NULL, nw ? m->nt_n.ptr : NULL,
                         msg, msg_de, m->err);
}

static int buf_fail(mapper *m, int rc, const char *what)
{
  if (rc == HV_ENOMEM)
    return hv_error_oom(m->err);
  return hv_error_set(m->err, rc, "map: %s too large to rewrite", what);
}

/* The DCAT-AP.de 1.0 local names renamed in 1.0.1. */
static const char *renamed(pred_kind k)
{
  if (k == PK_GEOCODING_TEXT)
    return HV_DCATDE "geocodingDescription";
  if (k == PK_LEGALBASIS_TEXT)
    return HV_DCATDE "legalBasis";
  return NULL;
}

/*
 * dcat-ap.de vocabulary IRIs are also delivered on the web host
 * (https://www.dcat-ap.de/def/licenses/cc-zero) although the vocabulary
 * names them http://dcat-ap.de/def/...; writes the latter form to m->host
 * and returns 1 when iri is such a host variant, else 0 or a buffer
 * error.
 */
static int dcatap_host(mapper *m, const char *iri)
{
  static const char *const hosts[] = {
      "https://www.dcat-ap.de/def/",
      "http://www.dcat-ap.de/def/",
      "https://dcat-ap.de/def/",
  };
  size_t i, n;
  int rc;

  for (i = 0; i < sizeof(hosts) / sizeof(hosts[0]); i++) {
    n = strlen(hosts[i]);
    if (strncmp(iri, hosts[i], n) != 0)
      continue;
    hv_buf_reset(&m->host);
    if ((rc = hv_buf_addstr(&m->host, "http://dcat-ap.de/def/")) < 0 ||
        (rc = hv_buf_addstr(&m->host, iri + n)) < 0)
      return buf_fail(m, rc, "IRI");
    return 1;
  }
  return 0;
}

typedef const char *(*lookup_fn)(const hv_profile *p, const char *text);
typedef int (*known_fn)(const hv_profile *p, const char *iri);

/* "de-DE", "de_DE", "de-Latn-DE": the language of the primary subtag,
 * when the whole text is a language tag and only its first subtag is
 * known. */
static const char *language_by_subtag(mapper *m, const char *text)
{
  char first[9];
  size_t n = strcspn(text, "-_");
  const char *c;

  if (n == 0 || n >= sizeof(first) || text[n] == '\0')
    return NULL;
  for (c = text; *c; c++)
    if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
          (*c >= '0' && *c <= '9') || *c == '-' || *c == '_'))
      return NULL;
  memcpy(first, text, n);
  first[n] = '\0';
  return hv_profile_language(m->p, first);
}

/* How one vocabulary rule speaks of its values, in both languages. */
typedef struct vocab_words {
  const char *unknown;    /* "unknown licence " */
  const char *unknown_de; /* "unbekannte Lizenz " */
  const char *mapped;     /* "licence mapped to the vocabulary: " */
  const char *mapped_de;
} vocab_words;

static const vocab_words license_words = {
    "unknown licence ", "unbekannte Lizenz ",
    "licence mapped to the vocabulary: ",
    "Lizenz auf das Vokabular abgebildet: "};
static const vocab_words format_words = {
    "unknown format ", "unbekanntes Format ",
    "format mapped to the vocabulary: ",
    "Format auf das Vokabular abgebildet: "};
static const vocab_words language_words = {
    "unknown language ", "unbekannte Sprache ",
    "language mapped to the vocabulary: ",
    "Sprache auf das Vokabular abgebildet: "};

/* Rule map.license / map.format / map.language: a value to its
 * vocabulary IRI. */
static int map_vocab(mapper *m, hv_quad *q, const char *rule,
                     const vocab_words *w, lookup_fn lookup, known_fn known)
{
  const char *iri;
  hv_term t;
  int rc;

  if (q->o.kind == HV_TERM_BLANK ||
      (q->o.kind == HV_TERM_IRI && known(m->p, q->o.value)))
    return 0;
  iri = lookup(m->p, q->o.value);
  if (!iri && q->o.kind == HV_TERM_IRI &&
      (rc = dcatap_host(m, q->o.value)) != 0) {
    if (rc < 0)
      return rc;
    iri = lookup(m->p, m->host.ptr);
  }
  if (!iri && known == hv_profile_is_language)
    iri = language_by_subtag(m, q->o.value);
  if (!iri)
    return note(m, rule, HV_SEVERITY_WARNING, &q->s, q->p.value, &q->o, NULL,
                w->unknown, w->unknown_de, q->o.value);
  memset(&t, 0, sizeof(t));
  t.kind = HV_TERM_IRI;
  t.value = iri;
  if ((rc = note(m, rule, HV_SEVERITY_INFO, &q->s, q->p.value, &q->o, &t,
                 w->mapped, w->mapped_de, q->o.value)) < 0)
    return rc;
  q->o = t;
  return 0;
}

/* Rule map.theme: one value may stand for several themes, each written
 * as a triple of its own. Returns 1 when it wrote the triples itself. */
static int map_theme(mapper *m, hv_quad *q)
{
  const char *iri;
  hv_term t;
  size_t i;
  int rc;

  if (q->o.kind == HV_TERM_BLANK ||
      (q->o.kind == HV_TERM_IRI && hv_profile_is_theme(m->p, q->o.value)))
    return 0;
  if (!hv_profile_theme(m->p, q->o.value, 0))
    return note(m, "map.theme", HV_SEVERITY_WARNING, &q->s, q->p.value,
                &q->o, NULL, "unknown theme ", "unbekannte Kategorie ",
                q->o.value);
  memset(&t, 0, sizeof(t));
  t.kind = HV_TERM_IRI;
  for (i = 0; (iri = hv_profile_theme(m->p, q->o.value, i)) != NULL; i++) {
    hv_quad nq = *q;

    t.value = iri;
    nq.o = t;
    if ((rc = note(m, "map.theme", HV_SEVERITY_INFO, &q->s, q->p.value,
                   &q->o, &t, "theme mapped to the vocabulary: ",
                   "Kategorie auf das Vokabular abgebildet: ",
                   q->o.value)) < 0 ||
        (rc = hv_graph_add(m->out, &nq, m->err)) < 0)
      return rc;
  }
  return 1;
}

/* Rule map.date. */
static int map_date(mapper *m, hv_quad *q)
{
  const char *dt;
  hv_term t;
  int rc;

  if (q->o.kind != HV_TERM_LITERAL)
    return 0;
  /* Years and months are dates of their own kind; leave them. */
  if (q->o.datatype && (strcmp(q->o.datatype, HV_XSD "gYear") == 0 ||
                        strcmp(q->o.datatype, HV_XSD "gYearMonth") == 0))
    return 0;
  if (!parse_date(q->o.value, m->date, sizeof(m->date), &dt))
    return note(m, "map.date", HV_SEVERITY_WARNING, &q->s, q->p.value, &q->o,
                NULL, "invalid date ", "ungültiges Datum ", q->o.value);
  if (!q->o.lang && q->o.datatype && strcmp(q->o.datatype, dt) == 0 &&
      strcmp(q->o.value, m->date) == 0)
    return 0;
  memset(&t, 0, sizeof(t));
  t.kind = HV_TERM_LITERAL;
  t.value = m->date;
  t.datatype = dt;
  if ((rc = note(m, "map.date", HV_SEVERITY_INFO, &q->s, q->p.value, &q->o,
                 &t,
                 strcmp(dt, XSD_DATE) == 0 ? "date typed as xsd:date: "
                                           : "date typed as xsd:dateTime: ",
                 strcmp(dt, XSD_DATE) == 0
                     ? "Datum als xsd:date typisiert: "
                     : "Datum als xsd:dateTime typisiert: ",
                 q->o.value)) < 0)
    return rc;
  q->o = t;
  return 0;
}

/* ------------------------------------------------------------------ */
/* Media types and language tags                                       */
/* ------------------------------------------------------------------ */

/* Length of the "type/subtype" at the start of s (up to a ';', space or
 * the end) when it is a media type of a registered top-level type, else
 * 0 (RFC 6838 restricted names). */
static size_t media_type_len(const char *s)
{
  static const char *const tops[] = {
      "application/", "audio/", "font/",  "image/",     "message/",
      "model/",       "multipart/", "text/", "video/",
  };
  size_t i, n = 0, top = 0;

  for (i = 0; i < sizeof(tops) / sizeof(tops[0]) && !top; i++)
    if (strncasecmp(s, tops[i], strlen(tops[i])) == 0)
      top = strlen(tops[i]);
  if (!top)
    return 0;
  for (n = top; s[n] && s[n] != ';' && s[n] != ' '; n++)
    if (!((s[n] >= 'a' && s[n] <= 'z') || (s[n] >= 'A' && s[n] <= 'Z') ||
          (s[n] >= '0' && s[n] <= '9') || strchr("!#$&^_.+-", s[n])))
      return 0;
  if (n == top || n - top > 127)
    return 0;
  while (s[n] == ' ')
    n++;
  return s[n] == '\0' || s[n] == ';' ? n : 0;
}

/* If iri is an IANA media-type IRI (either scheme, with or without
 * "www."), returns the "type/subtype" part, else NULL. */
static const char *iana_rest(const char *iri)
{
  static const char *const pre[] = {
      "http://www.iana.org/assignments/media-types/",
      "https://www.iana.org/assignments/media-types/",
      "http://iana.org/assignments/media-types/",
      "https://iana.org/assignments/media-types/",
  };
  size_t i;

  for (i = 0; i < sizeof(pre) / sizeof(pre[0]); i++)
    if (strncmp(iri, pre[i], strlen(pre[i])) == 0)
      return iri + strlen(pre[i]);
  return NULL;
}

/*
 * Rule map.media-type: dcat:mediaType as an IANA media-type IRI,
 * http://www.iana.org/assignments/media-types/TYPE/SUBTYPE in lower case
 * and without parameters. A literal "text/csv" is read as the media type;
 * a format name ("CSV") or a file-type IRI goes through the file-type
 * table when that gives its file type exactly one media type.
 */
static int map_media_type(mapper *m, hv_quad *q)
{
  const char *mt = NULL, *ft;
  size_t i, n;
  hv_term t;
  int rc;

  if (q->o.kind == HV_TERM_BLANK)
    return 0;
  if (q->o.kind == HV_TERM_IRI && (mt = iana_rest(q->o.value)) != NULL)
    ;
  else if (q->o.kind == HV_TERM_LITERAL && media_type_len(q->o.value))
    mt = q->o.value;
  else if ((ft = hv_profile_is_filetype(m->p, q->o.value)
                     ? q->o.value
                     : hv_profile_filetype(m->p, q->o.value)) != NULL &&
           !(mt = hv_profile_filetype_media_type(m->p, ft)))
    return note(m, "map.media-type", HV_SEVERITY_WARNING, &q->s, q->p.value,
                &q->o, NULL, "file type has no single media type: ",
                "Dateityp hat keinen eindeutigen Medientyp: ", q->o.value);
  if (!mt || !(n = media_type_len(mt)))
    return note(m, "map.media-type", HV_SEVERITY_WARNING, &q->s, q->p.value,
                &q->o, NULL, "unknown media type ", "unbekannter Medientyp ",
                q->o.value);
  while (n > 0 && (mt[n - 1] == ' '))
    n--;
  hv_buf_reset(&m->media);
  if ((rc = hv_buf_addstr(&m->media, IANA)) < 0)
    return buf_fail(m, rc, "media type");
  for (i = 0; i < n; i++)
    if ((rc = hv_buf_addc(&m->media, (char)tolower((unsigned char)mt[i]))) <
        0)
      return buf_fail(m, rc, "media type");
  if (q->o.kind == HV_TERM_IRI && strcmp(q->o.value, m->media.ptr) == 0)
    return 0;
  memset(&t, 0, sizeof(t));
  t.kind = HV_TERM_IRI;
  t.value = m->media.ptr;
  if ((rc = note(m, "map.media-type", HV_SEVERITY_INFO, &q->s, q->p.value,
                 &q->o, &t, "media type as IANA IRI: ",
                 "Medientyp als IANA-IRI: ", q->o.value)) < 0)
    return rc;
  q->o = t;
  return 0;
}

/*
 * Writes the BCP 47 case form of tag to out ("de_DE" and "DE-de" become
 * "de-DE", "sr-latn-rs" becomes "sr-Latn-RS") and returns 1, or returns 0
 * when tag is no well-formed language tag: subtags of 1 to 8 letters or
 * digits separated by '-' or '_', the first of letters only.
 */
static int canon_lang(const char *tag, char *out, size_t cap)
{
  size_t i = 0, k, len, pos = 0;
  int singleton = 0;

  if (strlen(tag) >= cap || *tag == '\0')
    return 0;
  while (tag[i]) {
    len = strcspn(tag + i, "-_");
    if (len == 0 || len > 8)
      return 0;
    for (k = 0; k < len; k++) {
      unsigned char c = (unsigned char)tag[i + k];

      if (!isalpha(c) && (pos == 0 || !isdigit(c)))
        return 0;
      /* Region: two letters, upper case; script: four letters after the
       * language, title case; all else lower case. Subtags after a
       * singleton (x-, u-) keep lower case. */
      if (!singleton && pos > 0 && len == 2 && isalpha(c))
        out[i + k] = (char)toupper(c);
      else if (!singleton && pos == 1 && len == 4 && k == 0)
        out[i + k] = (char)toupper(c);
      else
        out[i + k] = (char)tolower(c);
    }
    if (len == 1)
      singleton = 1;
    i += len;
    if (tag[i]) {
      out[i++] = '-';
      if (!tag[i])
        return 0;
    }
    pos++;
  }
  out[i] = '\0';
  return 1;
}

/* Rule map.lang-tag. */
static int map_lang_tag(mapper *m, hv_quad *q)
{
  hv_term t;
  int rc;

  if (!canon_lang(q->o.lang, m->tag, sizeof(m->tag)))
    return note(m, "map.lang-tag", HV_SEVERITY_WARNING, &q->s, q->p.value,
                &q->o, NULL, "invalid language tag ",
                "ungültiges Sprachkennzeichen ", q->o.lang);
  if (strcmp(m->tag, q->o.lang) == 0)
    return 0;
  t = q->o;
  t.lang = m->tag;
  if ((rc = note(m, "map.lang-tag", HV_SEVERITY_INFO, &q->s, q->p.value,
                 &q->o, &t, "language tag normalised: ",
                 "Sprachkennzeichen vereinheitlicht: ", q->o.lang)) < 0)
    return rc;
  q->o = t;
  return 0;
}

/* Points *s at a copy in out's arena unless it is the string was, the
 * one in the same place of the delivered quad, which out's arena holds
 * already. The rules keep a term's strings in their place or write new
 * ones, so nothing else needs to be looked for. */
static int keep_string(mapper *m, const char **s, const char *was)
{
  char *copy;

  if (!*s || *s == was)
    return 0;
  if (!(copy = hv_arena_strdup(&m->out->arena, *s)))
    return hv_error_oom(m->err);
  *s = copy;
  return 0;
}

/*
 * Appends q to m->out when out's arena already holds the delivered
 * graph's strings: only the strings a rule wrote (repaired IRIs, trimmed
 * literals, vocabulary IRIs) are copied; everything else q points to
 * stays where the decoder put it. Copying every term of every quad was
 * most of the cost of mapping a clean dataset.
 */
static int add_taken(mapper *m, const hv_quad *q, const hv_quad *in)
{
  hv_quad copy = *q;
  hv_term *t[4];
  const hv_term *was[4];
  size_t i;
  int rc;

  t[0] = &copy.s;
  t[1] = &copy.p;
  t[2] = &copy.o;
  t[3] = &copy.g;
  was[0] = &in->s;
  was[1] = &in->p;
  was[2] = &in->o;
  was[3] = &in->g;
  for (i = 0; i < 4; i++) {
    if (t[i]->kind == HV_TERM_NONE)
      continue;
    /* Rules write literals with either a language or a datatype, never
     * xsd:string, so the form hv_graph_add would store is kept. */
    if ((rc = keep_string(m, &t[i]->value, was[i]->value)) < 0 ||
        (rc = keep_string(m, &t[i]->datatype, was[i]->datatype)) < 0 ||
        (rc = keep_string(m, &t[i]->lang, was[i]->lang)) < 0)
      return rc;
  }
  return hv_graph_add_owned(m->out, &copy, m->err);
}

/* Runs every per-triple rule on in and writes the result to m->out. */
static int map_quad(mapper *m, const hv_quad *in)
{
  hv_quad q = *in;
  const char *pred = in->p.value, *ren;
  pred_kind kind;
  int rc, fixed;
  hv_term t;

  hv_buf_reset(&m->pred);
  if ((fixed = hv_profile_fix_iri(m->p, pred, &m->pred)) < 0)
    return buf_fail(m, fixed, "predicate");
  if (fixed)
    q.p.value = m->pred.ptr;
  kind = classify(q.p.value);
  ren = renamed(kind);
  if (hv_profile_drops(m->p, pred) || hv_profile_drops(m->p, q.p.value) ||
      (ren && hv_profile_drops(m->p, ren)))
    return note(m, "map.drop", HV_SEVERITY_INFO, &q.s, ren ? ren : q.p.value,
                &q.o, NULL, "property dropped by the source profile",
                "Eigenschaft vom Quellprofil entfernt", NULL);
  if (fixed) {
    hv_term a = in->p, b = q.p;

    if ((rc = note(m, "map.namespace", HV_SEVERITY_INFO, &q.s, q.p.value, &a,
                   &b, "dcatde namespace repaired: ",
                   "dcatde-Namensraum repariert: ", pred)) < 0)
      return rc;
  }
  if (ren) {
    hv_term a = q.p, b = q.p;

    b.value = ren;
    if ((rc = note(m, "map.local-name", HV_SEVERITY_INFO, &q.s, ren, &a, &b,
                   "DCAT-AP.de 1.0 property renamed: ",
                   "DCAT-AP.de-1.0-Eigenschaft umbenannt: ", q.p.value)) < 0)
      return rc;
    q.p.value = ren;
    kind = PK_OTHER;
  }

  if (kind == PK_TYPE && q.o.kind == HV_TERM_IRI) {
    hv_buf_reset(&m->type);
    if ((rc = hv_profile_fix_iri(m->p, q.o.value, &m->type)) < 0)
      return buf_fail(m, rc, "class IRI");
    if (rc) {
      t = q.o;
      t.value = m->type.ptr;
      if ((rc = note(m, "map.namespace", HV_SEVERITY_INFO, &q.s, q.p.value,
                     &q.o, &t, "dcatde namespace repaired: ",
                     "dcatde-Namensraum repariert: ", q.o.value)) < 0)
        return rc;
      q.o = t;
    }
  }

  if (q.o.kind == HV_TERM_LITERAL) {
    const char *start;
    size_t len;

    if (trim_span(q.o.value, &start, &len)) {
      hv_buf_reset(&m->val);
      if ((rc = hv_buf_add(&m->val, start, len)) < 0)
        return buf_fail(m, rc, "literal");
      t = q.o;
      t.value = m->val.ptr ? m->val.ptr : "";
      if ((rc = note(m, "map.whitespace", HV_SEVERITY_INFO, &q.s, q.p.value,
                     &q.o, &t, "white space trimmed", "Leerraum entfernt",
                     NULL)) < 0)
        return rc;
      q.o = t;
    }
    if (is_iri_valued(kind) && is_http_iri(q.o.value)) {
      memset(&t, 0, sizeof(t));
      t.kind = HV_TERM_IRI;
      t.value = q.o.value;
      if ((rc = note(m, "map.literal-iri", HV_SEVERITY_INFO, &q.s, q.p.value,
                     &q.o, &t, "IRI given as a literal",
                     "IRI als Literal angegeben", NULL)) < 0)
        return rc;
      q.o = t;
    }
    if (q.o.lang && (rc = map_lang_tag(m, &q)) < 0)
      return rc;
  }

  switch (kind) {
  case PK_LICENSE:
    rc = map_vocab(m, &q, "map.license", &license_words, hv_profile_license,
                   hv_profile_is_license);
    break;
  case PK_FORMAT:
    rc = map_vocab(m, &q, "map.format", &format_words, hv_profile_filetype,
                   hv_profile_is_filetype);
    break;
  case PK_LANGUAGE:
    rc = map_vocab(m, &q, "map.language", &language_words,
                   hv_profile_language, hv_profile_is_language);
    break;
  case PK_MEDIATYPE:
    rc = map_media_type(m, &q);
    break;
  case PK_THEME:
    rc = map_theme(m, &q);
    break;
  case PK_DATE:
    rc = map_date(m, &q);
    break;
  default:
    rc = 0;
  }
  if (rc != 0)
    return rc < 0 ? rc : 0; /* 1: the rule wrote the triples itself */
  if (m->taken)
    return add_taken(m, &q, in);
  return hv_graph_add(m->out, &q, m->err);
}

/* Finds the dataset node: the given IRI, or the first dcat:Dataset. */
static int find_dataset(const hv_graph *g, const char *iri, hv_term *out)
{
  memset(out, 0, sizeof(*out));
  if (iri) {
    out->kind = HV_TERM_IRI;
    out->value = iri;
    return 1;
  }
  return hv__graph_first_of_class(g, C_DATASET, out);
}

/* Rule map.contributor on the mapped graph. */
static int map_contributor(mapper *m, const hv_map_opts *opts,
                           const hv_term *ds)
{
  const hv_graph *g = m->out;
  size_t i, j, n = 0, len = g->len;
  hv_buf list = HV_BUF_INIT(TERM_MAX);
  const char *def;
  char msg[160], msg_de[160];
  int rc = 0;

  for (i = 0; i < len; i++) {
    const hv_quad *q = &g->quads[i];
    int seen = 0;

    /* The predicate first: it differs early from most others, while
     * most subjects are the dataset and compare equal to the end. */
    if (strcmp(q->p.value, P_CONTRIB) != 0 || !hv_term_equal(&q->s, ds))
      continue;
    for (j = 0; j < i && !seen; j++)
      seen = strcmp(g->quads[j].p.value, P_CONTRIB) == 0 &&
             hv_term_equal(&g->quads[j].s, ds) &&
             hv_term_equal(&g->quads[j].o, &q->o);
    if (seen)
      continue;
    n++;
    if ((list.len && (rc = hv_buf_addc(&list, ' ')) < 0) ||
        (rc = hv_term_write_nt(&list, &q->o)) < 0) {
      rc = buf_fail(m, rc, "contributorID list");
      goto cleanup;
    }
  }
  if (n == 1)
    goto cleanup;
  if (n > 1) {
    snprintf(msg, sizeof(msg),
             "dataset has %zu different dcatde:contributorID values; "
             "GovData expects exactly one",
             n);
    snprintf(msg_de, sizeof(msg_de),
             "Datensatz hat %zu verschiedene dcatde:contributorID-Werte; "
             "GovData erwartet genau einen",
             n);
    hv_buf_reset(&m->nt_s);
    if ((rc = hv_term_write_nt(&m->nt_s, ds)) < 0) {
      rc = buf_fail(m, rc, "dataset IRI");
      goto cleanup;
    }
    rc = hv_findings_add(m->f, "map.contributor", HV_SEVERITY_WARNING,
                         m->nt_s.ptr, P_CONTRIB, list.ptr, NULL, msg, msg_de,
                         m->err);
    goto cleanup;
  }
  def = opts && opts->default_contributor
            ? opts->default_contributor
            : hv_profile_default_contributor(m->p);
  if (!def) {
    rc = note(m, "map.contributor", HV_SEVERITY_WARNING, ds, P_CONTRIB, NULL,
              NULL, "dataset has no dcatde:contributorID and the source "
              "sets no default", "Datensatz hat keine dcatde:contributorID "
              "und die Quelle setzt keinen Standardwert", NULL);
  } else {
    hv_quad q;

    memset(&q, 0, sizeof(q));
    q.s = *ds;
    q.p.kind = HV_TERM_IRI;
    q.p.value = P_CONTRIB;
    q.o.kind = HV_TERM_IRI;
    q.o.value = def;
    if ((rc = note(m, "map.contributor", HV_SEVERITY_INFO, ds, P_CONTRIB,
                   NULL, &q.o, "added the source's default contributorID",
                   "Standard-contributorID der Quelle ergänzt", NULL)) == 0)
      rc = hv_graph_add(m->out, &q, m->err);
  }

cleanup:
  hv_buf_fini(&list);
  return rc;
}

static int map_graph(const hv_profile *p, const hv_map_opts *opts,
                     const hv_graph *in, const char *dataset_iri,
                     hv_graph *out, hv_findings *findings, int taken,
                     hv_error *err)
{
  mapper m;
  size_t i, start = findings->len;
  hv_term ds;
  int rc = 0;

  assert(out->len == 0);
  memset(&m, 0, sizeof(m));
  m.p = p;
  m.out = out;
  m.taken = taken;
  m.f = findings;
  m.err = err;
  hv_buf_init(&m.pred, TERM_MAX);
  hv_buf_init(&m.type, TERM_MAX);
  hv_buf_init(&m.val, TERM_MAX);
  hv_buf_init(&m.host, TERM_MAX);
  hv_buf_init(&m.nt_s, TERM_MAX);
  hv_buf_init(&m.nt_o, TERM_MAX);
  hv_buf_init(&m.nt_n, TERM_MAX);
  hv_buf_init(&m.media, TERM_MAX);
  if (opts && opts->version != HV_MAP_OPTS_VERSION) {
    rc = hv_error_set(err, HV_EINVAL, "map: options version %u, expected %u",
                      opts->version, HV_MAP_OPTS_VERSION);
    goto cleanup;
  }
  for (i = 0; i < in->len; i++)
    if ((rc = map_quad(&m, &in->quads[i])) < 0)
      goto cleanup;
  if (find_dataset(out, dataset_iri, &ds) &&
      (rc = map_contributor(&m, opts, &ds)) < 0)
    goto cleanup;

cleanup:
  if (rc < 0) {
    hv_graph_fini(out);
    hv_graph_init(out);
    hv_findings_truncate(findings, start);
  }
  hv_buf_fini(&m.pred);
  hv_buf_fini(&m.type);
  hv_buf_fini(&m.val);
  hv_buf_fini(&m.host);
  hv_buf_fini(&m.nt_s);
  hv_buf_fini(&m.nt_o);
  hv_buf_fini(&m.nt_n);
  hv_buf_fini(&m.media);
  return rc;
}

int hv_map_dataset(const hv_profile *p, const hv_map_opts *opts,
                   const hv_graph *in, const char *dataset_iri,
                   hv_graph *out, hv_findings *findings, hv_error *err)
{
  return map_graph(p, opts, in, dataset_iri, out, findings, 0, err);
}

int hv_map_dataset_take(const hv_profile *p, const hv_map_opts *opts,
                        hv_graph *in, const char *dataset_iri, hv_graph *out,
                        hv_findings *findings, hv_error *err)
{
  int rc;

  assert(out->len == 0 && out->arena.head == NULL);
  /* The chunks move, so every pointer into them stays valid while in's
   * quads are read. */
  out->arena = in->arena;
  hv_arena_init(&in->arena);
  rc = map_graph(p, opts, in, dataset_iri, out, findings, 1, err);
  hv_graph_fini(in);
  return rc;
}

const char *hv_map_state(const hv_profile *p, const hv_graph *g,
                         const char *dataset_iri)
{
  const char *state = NULL;
  size_t i;

  for (i = 0; i < g->len; i++) {
    const hv_quad *q = &g->quads[i];
    const char *s;

    /* Predicates first, as in map_contributor. */
    if (strcmp(q->p.value, P_CONTRIB) == 0 && q->s.kind == HV_TERM_IRI &&
        strcmp(q->s.value, dataset_iri) == 0 && q->o.kind != HV_TERM_BLANK &&
        (s = hv_profile_contributor_state(p, q->o.value)) != NULL)
      return s;
  }
  for (i = 0; i < g->len; i++) {
    const hv_quad *q = &g->quads[i];
    const char *s;

    if ((strcmp(q->p.value, P_SPATIAL) != 0 &&
         strcmp(q->p.value, P_GEOCODING) != 0) ||
        q->s.kind != HV_TERM_IRI || strcmp(q->s.value, dataset_iri) != 0 ||
        q->o.kind == HV_TERM_BLANK ||
        !(s = hv_profile_geocoding_state(p, q->o.value)))
      continue;
    if (state && strcmp(state, s) != 0)
      return NULL; /* more than one state: none of them is the dataset's */
    state = s;
  }
  return state;
}
