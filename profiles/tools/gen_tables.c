/*
 * gen_tables: writes the vocabulary-derived tables of the DCAT-AP.de
 * profile (licenses, license_aliases, themes, theme_aliases, filetypes,
 * filetype_aliases, contributors) from the official vocabulary files.
 *
 *   gen_tables VOCABULARY_DIR OUT_DIR [TOOLS_DIR]
 *
 * The vocabularies are read through the project's RDF bridge
 * (hv_rdf_parse), never by pattern matching on the XML. Hand-curated
 * columns (a contributor's state) and aliases the vocabularies do not
 * carry come from the *.in.tsv files in TOOLS_DIR and are merged in. An
 * alias the vocabulary gives to two entries (one extension for two file
 * types) is left out unless a curated row decides it, so that a lookup
 * never depends on file order. Output is sorted, so a rerun over the
 * same inputs reproduces the committed tables byte for byte.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode/rdfparse.h"
#include "map/profile.h"
#include "model/graph.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/file.h"
#include "util/error.h"

#define SKOS "http://www.w3.org/2004/02/skos/core#"
#define DC_ID "http://purl.org/dc/elements/1.1/identifier"
#define DC_SOURCE "http://purl.org/dc/elements/1.1/source"
#define DCT_TYPE "http://purl.org/dc/terms/type"
#define FOAF_HOME "http://xmlns.com/foaf/0.1/homepage"
#define AT "http://publications.europa.eu/ontology/authority/"
#define GOVDATA_OPEN "http://govdata.de/mqa/#isOpenLicense"
#define LICENSES "http://dcat-ap.de/def/licenses"
#define CONTRIBUTORS "http://dcat-ap.de/def/contributors"
#define THEMES "http://publications.europa.eu/resource/authority/data-theme"
#define FILETYPES "http://publications.europa.eu/resource/authority/file-type"
#define FILE_MAX ((size_t)64 << 20)

typedef struct alias {
  char *norm;       /* owned: normalised text */
  const char *text; /* borrowed: text as written */
  const char *iri;  /* borrowed */
  const char *kind; /* borrowed */
  int curated;      /* 1 from a *.in.tsv file, 0 from a vocabulary */
} alias;

typedef struct aliases {
  alias *v;
  size_t len, cap;
} aliases;

typedef struct lines {
  char **v; /* owned strings */
  size_t len, cap;
} lines;

/* Input text kept alive until exit, since rows point into it. */
static hv_buf inputs[8];
static size_t ninputs;

static int parse_vocab(hv_graph *g, const char *dir, const char *name,
                       const char *base, hv_error *err)
{
  hv_buf path = HV_BUF_INIT(4096), data = HV_BUF_INIT(FILE_MAX);
  int rc;

  if ((rc = hv_buf_addf(&path, "%s/%s", dir, name)) < 0) {
    hv_error_set(err, rc, "path too long: %s", dir);
    hv_buf_fini(&path);
    return rc;
  }
  if ((rc = hv_file_read(path.ptr, &data, err)) == 0 &&
      (rc = hv_rdf_parse(g, "rdfxml", data.ptr, data.len, base, err)) < 0)
    hv_error_prefix(err, "%s: ", path.ptr);
  hv_buf_fini(&data);
  hv_buf_fini(&path);
  return rc;
}

/*
 * Returns the n-th object of (s, p) (a literal in language lang when lang
 * is not NULL), or NULL.
 */
static const char *obj(const hv_graph *g, const char *s, const char *p,
                       const char *lang, size_t n)
{
  size_t i;

  for (i = 0; i < g->len; i++) {
    const hv_quad *q = &g->quads[i];

    if (strcmp(q->s.value, s) != 0 || strcmp(q->p.value, p) != 0)
      continue;
    if (lang && (!q->o.lang || strcmp(q->o.lang, lang) != 0))
      continue;
    if (n-- == 0)
      return q->o.value;
  }
  return NULL;
}

/* Collects the concepts in scheme, in document order, without repeats. */
static int concepts(const hv_graph *g, const char *scheme, const char ***out,
                    size_t *n)
{
  const char **v = hv_calloc(g->len + 1, sizeof(*v));
  size_t i, j;

  if (!v)
    return HV_ENOMEM;
  *n = 0;
  for (i = 0; i < g->len; i++) {
    const hv_quad *q = &g->quads[i];

    if (q->s.kind != HV_TERM_IRI || strcmp(q->p.value, SKOS "inScheme") ||
        strcmp(q->o.value, scheme))
      continue;
    for (j = 0; j < *n && strcmp(v[j], q->s.value); j++)
      ;
    if (j == *n)
      v[(*n)++] = q->s.value;
  }
  *out = v;
  return 0;
}

/* Appends s with runs of ASCII white space folded to one space. */
static int add_clean(hv_buf *b, const char *s)
{
  int space = 0, rc = 0;

  if (!s)
    return 0;
  for (; *s && rc == 0; s++) {
    if (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r') {
      space = 1;
      continue;
    }
    if (space && b->len && b->ptr[b->len - 1] != '\t')
      rc = hv_buf_addc(b, ' ');
    space = 0;
    if (rc == 0)
      rc = hv_buf_addc(b, *s);
  }
  return rc;
}

/* Appends one row of fields joined by tabs to out. */
static int add_line(lines *out, const char **f, size_t n)
{
  hv_buf b = HV_BUF_INIT(1 << 16);
  size_t i;
  char *s;
  int rc = 0;

  for (i = 0; i < n && rc == 0; i++) {
    if (i)
      rc = hv_buf_addc(&b, '\t');
    if (rc == 0)
      rc = add_clean(&b, f[i]);
  }
  if (rc == 0 && out->len == out->cap) {
    size_t cap = out->cap ? out->cap * 2 : 64;
    char **v = hv_realloc(out->v, cap * sizeof(*v));

    if (!v)
      rc = HV_ENOMEM;
    else {
      out->v = v;
      out->cap = cap;
    }
  }
  if (rc == 0) {
    if (!(s = hv_buf_detach(&b, NULL)))
      rc = HV_ENOMEM;
    else
      out->v[out->len++] = s;
  }
  hv_buf_fini(&b);
  return rc;
}

static void lines_fini(lines *l)
{
  size_t i;

  for (i = 0; i < l->len; i++)
    hv_free(l->v[i]);
  hv_free(l->v);
  memset(l, 0, sizeof(*l));
}

static int add_alias(aliases *a, const char *text, const char *iri,
                     const char *kind, int curated)
{
  hv_buf b = HV_BUF_INIT(HV_PROFILE_KEY_MAX);
  alias *e;

  if (!text || !*text)
    return 0;
  if (hv_profile_normalize(&b, text) < 0 || !b.len) {
    hv_buf_fini(&b); /* too long or blank: never a useful alias */
    return 0;
  }
  if (a->len == a->cap) {
    size_t cap = a->cap ? a->cap * 2 : 256;
    alias *v = hv_realloc(a->v, cap * sizeof(*v));

    if (!v) {
      hv_buf_fini(&b);
      return HV_ENOMEM;
    }
    a->v = v;
    a->cap = cap;
  }
  e = &a->v[a->len++];
  e->norm = hv_buf_detach(&b, NULL);
  e->text = text;
  e->iri = iri;
  e->kind = kind;
  e->curated = curated;
  return e->norm ? 0 : HV_ENOMEM;
}

static void aliases_fini(aliases *a)
{
  size_t i;

  for (i = 0; i < a->len; i++)
    hv_free(a->v[i].norm);
  hv_free(a->v);
  memset(a, 0, sizeof(*a));
}

static int alias_cmp(const void *x, const void *y)
{
  const alias *a = x, *b = y;
  int c = strcmp(a->norm, b->norm);

  if (c)
    return c;
  if (a->curated != b->curated)
    return b->curated - a->curated;
  if ((c = strcmp(a->iri, b->iri)))
    return c;
  return strcmp(a->text, b->text);
}

static int line_cmp(const void *x, const void *y)
{
  return strcmp(*(char *const *)x, *(char *const *)y);
}

/*
 * Turns the collected aliases into rows: per normalised text the curated
 * rows win; otherwise the vocabulary's row is kept only if all its rows
 * agree on one IRI. multi allows one text several IRIs (themes).
 */
static int resolve(aliases *a, int multi, lines *out, const char *table,
                   hv_error *err)
{
  size_t i = 0, j, k, dropped = 0;
  int rc = 0;

  qsort(a->v, a->len, sizeof(*a->v), alias_cmp);
  while (i < a->len && rc == 0) {
    int curated = a->v[i].curated;
    size_t iris = 0;

    for (j = i; j < a->len && !strcmp(a->v[j].norm, a->v[i].norm) &&
                a->v[j].curated == curated;
         j++)
      if (j == i || strcmp(a->v[j].iri, a->v[j - 1].iri))
        iris++;
    if (iris > 1 && !multi) {
      if (curated) {
        rc = hv_error_set(err, HV_EPARSE,
                          "%s: curated alias \"%s\" names two targets", table,
                          a->v[i].text);
        break;
      }
      dropped++;
    } else {
      for (k = i; k < j && rc == 0; k++) {
        const char *f[3];

        if (k > i && !strcmp(a->v[k].iri, a->v[k - 1].iri))
          continue;
        f[0] = a->v[k].text;
        f[1] = a->v[k].iri;
        f[2] = a->v[k].kind;
        rc = add_line(out, f, 3);
      }
    }
    /* Skip the rest of this text's rows (the vocabulary's, when curated
     * rows decided it). */
    while (j < a->len && !strcmp(a->v[j].norm, a->v[i].norm))
      j++;
    i = j;
  }
  if (rc == HV_ENOMEM)
    hv_error_oom(err);
  if (dropped)
    fprintf(stderr, "%s: %zu ambiguous vocabulary aliases left out\n", table,
            dropped);
  return rc;
}

static int write_table(const char *dir, const char *name, const char *note,
                       const char *header, lines *l, hv_error *err)
{
  hv_buf path = HV_BUF_INIT(4096), tmp = HV_BUF_INIT(4096);
  FILE *f = NULL;
  size_t i;
  int rc = 0;

  qsort(l->v, l->len, sizeof(*l->v), line_cmp);
  if (hv_buf_addf(&path, "%s/%s", dir, name) < 0 ||
      hv_buf_addf(&tmp, "%s/%s.tmp", dir, name) < 0) {
    rc = hv_error_set(err, HV_EINVAL, "output path too long: %s", dir);
    goto cleanup;
  }
  if (!(f = fopen(tmp.ptr, "wb"))) {
    rc = hv_error_set(err, HV_EIO, "%s: cannot create: %s", tmp.ptr,
                      strerror(errno));
    goto cleanup;
  }
  fprintf(f, "# Generated by profiles/tools/gen_tables; do not edit.\n");
  fprintf(f, "# %s\n%s\n", note, header);
  for (i = 0; i < l->len; i++)
    if (i == 0 || strcmp(l->v[i], l->v[i - 1]))
      fprintf(f, "%s\n", l->v[i]);
  if (ferror(f) | fclose(f)) {
    f = NULL;
    rc = hv_error_set(err, HV_EIO, "%s: write failed", tmp.ptr);
    goto cleanup;
  }
  f = NULL;
  if (rename(tmp.ptr, path.ptr) != 0)
    rc = hv_error_set(err, HV_EIO, "%s: cannot rename: %s", path.ptr,
                      strerror(errno));

cleanup:
  if (f)
    fclose(f);
  if (rc < 0 && tmp.ptr)
    remove(tmp.ptr);
  hv_buf_fini(&path);
  hv_buf_fini(&tmp);
  return rc;
}

/*
 * Reads a curated input table (header line, '#' comments) and calls back
 * with its rows split at tabs. Rows point into a buffer kept until exit.
 */
typedef int (*curated_fn)(char **f, size_t n, void *payload);

static int read_curated(const char *dir, const char *name, size_t ncols,
                        curated_fn fn, void *payload, hv_error *err)
{
  hv_buf path = HV_BUF_INIT(4096);
  hv_buf *data = &inputs[ninputs];
  char *line, *eol, *f[8];
  int header = 0, rc;
  long lineno = 0;

  hv_buf_init(data, FILE_MAX);
  if ((rc = hv_buf_addf(&path, "%s/%s", dir, name)) < 0 ||
      (rc = hv_file_read(path.ptr, data, err)) < 0)
    goto cleanup;
  ninputs++;
  for (line = data->ptr; *line; line = eol) {
    size_t n = 0;
    char *s;

    lineno++;
    eol = strchr(line, '\n');
    if (eol)
      *eol++ = '\0';
    else
      eol = line + strlen(line);
    if (line[0] == '#' || line[0] == '\0')
      continue;
    if (!header++)
      continue;
    for (s = line; n < 8; n++) {
      f[n] = s;
      if (!(s = strchr(s, '\t')))
        break;
      *s++ = '\0';
    }
    if (n + 1 != ncols) {
      rc = hv_error_set(err, HV_EPARSE, "%s:%ld: expected %zu fields",
                        path.ptr, lineno, ncols);
      goto cleanup;
    }
    if ((rc = fn(f, ncols, payload)) < 0) {
      hv_error_oom(err);
      goto cleanup;
    }
  }

cleanup:
  hv_buf_fini(&path);
  return rc;
}

static int curated_alias(char **f, size_t n, void *payload)
{
  (void)n;
  return add_alias(payload, f[0], f[1], f[2], 1);
}

/*
 * Writes a vocabulary table (<kind>s.tsv) from rows, merges the curated
 * tools/<kind>_aliases.in.tsv into the vocabulary's own aliases and
 * writes <kind>_aliases.tsv. multi: an alias may name several entries.
 */
static int write_vocabulary(const char *out, const char *tools,
                            const char *kind, int multi,
                            const char *vocab_note, const char *header,
                            const char *alias_note, lines *rows,
                            aliases *al, hv_error *err)
{
  char name[64], curated[64], table[64], alias_header[64];
  int rc;

  snprintf(name, sizeof(name), "%ss.tsv", kind);
  snprintf(curated, sizeof(curated), "%s_aliases.in.tsv", kind);
  snprintf(table, sizeof(table), "%s_aliases", kind);
  snprintf(alias_header, sizeof(alias_header), "alias\t%s\tkind", kind);
  if ((rc = write_table(out, name, vocab_note, header, rows, err)) < 0 ||
      (rc = read_curated(tools, curated, 3, curated_alias, al, err)) < 0)
    return rc;
  lines_fini(rows);
  if ((rc = resolve(al, multi, rows, table, err)) < 0)
    return rc;
  strcat(table, ".tsv");
  return write_table(out, table, alias_note, alias_header, rows, err);
}

static int gen_licenses(const char *vdir, const char *out, const char *tools,
                        hv_error *err)
{
  hv_graph g, open;
  const char **c = NULL;
  size_t n = 0, i, k;
  lines rows = {0};
  aliases al = {0};
  int rc;

  hv_graph_init(&g);
  hv_graph_init(&open);
  if ((rc = parse_vocab(&g, vdir, "dcat-ap-de-licenses-20210721.rdf",
                        LICENSES, err)) < 0 ||
      (rc = parse_vocab(&open, vdir, "dcat-ap-de-licenses-open-20200715.rdf",
                        LICENSES, err)) < 0)
    goto cleanup;
  if ((rc = concepts(&g, LICENSES, &c, &n)) < 0)
    goto oom;
  for (i = 0; i < n; i++) {
    const char *f[5], *o = obj(&open, c[i], GOVDATA_OPEN, NULL, 0);
    const char *type = obj(&g, c[i], DCT_TYPE, NULL, 0), *s;

    f[0] = c[i];
    f[1] = obj(&g, c[i], DC_ID, NULL, 0);
    f[2] = obj(&g, c[i], SKOS "prefLabel", "de", 0);
    f[3] = obj(&g, c[i], SKOS "prefLabel", "en", 0);
    /* The open list says so explicitly; the newer list only by type. */
    if (o)
      f[4] = strcmp(o, "true") == 0 ? "yes" : "no";
    else if (type)
      f[4] = strcmp(type, "Freie Nutzung") == 0 ? "yes" : "no";
    else
      f[4] = "";
    if ((rc = add_line(&rows, f, 5)) < 0 ||
        (rc = add_alias(&al, f[1], c[i], "vocabulary-code", 0)) < 0 ||
        (rc = add_alias(&al, f[2], c[i], "vocabulary-label", 0)) < 0 ||
        (rc = add_alias(&al, f[3], c[i], "vocabulary-label", 0)) < 0 ||
        (rc = add_alias(&al, obj(&g, c[i], FOAF_HOME, NULL, 0), c[i],
                        "vocabulary-homepage", 0)) < 0)
      goto oom;
    for (k = 0; (s = obj(&g, c[i], SKOS "altLabel", NULL, k)); k++)
      if ((rc = add_alias(&al, s, c[i], "vocabulary-label", 0)) < 0)
        goto oom;
  }
  rc = write_vocabulary(out, tools, "license", 0,
                        "dcat-ap.de licences 20210721; open from the open "
                        "list 20200715",
                        "iri\tcode\tlabel_de\tlabel_en\topen",
                        "vocabulary codes, labels and homepages merged with "
                        "tools/license_aliases.in.tsv",
                        &rows, &al, err);
  goto cleanup;
oom:
  rc = hv_error_oom(err);
cleanup:
  hv_free(c);
  lines_fini(&rows);
  aliases_fini(&al);
  hv_graph_fini(&g);
  hv_graph_fini(&open);
  return rc;
}

static int gen_themes(const char *vdir, const char *out, const char *tools,
                      hv_error *err)
{
  hv_graph g;
  const char **c = NULL;
  size_t n = 0, i;
  lines rows = {0};
  aliases al = {0};
  int rc;

  hv_graph_init(&g);
  if ((rc = parse_vocab(&g, vdir, "data-theme-skos.rdf", THEMES, err)) < 0)
    goto cleanup;
  if ((rc = concepts(&g, THEMES, &c, &n)) < 0)
    goto oom;
  for (i = 0; i < n; i++) {
    const char *f[4];

    f[0] = c[i];
    f[1] = obj(&g, c[i], DC_ID, NULL, 0);
    f[2] = obj(&g, c[i], SKOS "prefLabel", "de", 0);
    f[3] = obj(&g, c[i], SKOS "prefLabel", "en", 0);
    if ((rc = add_line(&rows, f, 4)) < 0 ||
        (rc = add_alias(&al, f[1], c[i], "vocabulary-code", 0)) < 0 ||
        (rc = add_alias(&al, f[2], c[i], "vocabulary-label", 0)) < 0 ||
        (rc = add_alias(&al, f[3], c[i], "vocabulary-label", 0)) < 0)
      goto oom;
  }
  rc = write_vocabulary(out, tools, "theme", 1, "EU data themes 20160921-0",
                        "iri\tcode\tlabel_de\tlabel_en",
                        "vocabulary codes and labels merged with "
                        "tools/theme_aliases.in.tsv",
                        &rows, &al, err);
  goto cleanup;
oom:
  rc = hv_error_oom(err);
cleanup:
  hv_free(c);
  lines_fini(&rows);
  aliases_fini(&al);
  hv_graph_fini(&g);
  return rc;
}

/* Adds the file-type's mapped extensions and media types as aliases. */
static int mapped_codes(const hv_graph *g, const char *concept, aliases *al)
{
  const char *b;
  size_t k;
  int rc = 0;

  for (k = 0; rc == 0 && (b = obj(g, concept, AT "op-mapped-code", NULL, k));
       k++) {
    const char *src = obj(g, b, DC_SOURCE, NULL, 0);
    const char *code = obj(g, b, AT "legacy-code", NULL, 0);

    if (!src || !code)
      continue;
    if (strcmp(src, "file-extension") == 0)
      rc = add_alias(al, code, concept, "extension", 0);
    else if (strcmp(src, "mime-type-cellar") == 0)
      rc = add_alias(al, code, concept, "media-type", 0);
  }
  return rc;
}

static int gen_filetypes(const char *vdir, const char *out, const char *tools,
                         hv_error *err)
{
  hv_graph g;
  const char **c = NULL;
  size_t n = 0, i, k;
  lines rows = {0};
  aliases al = {0};
  int rc;

  hv_graph_init(&g);
  if ((rc = parse_vocab(&g, vdir, "eu-file-type-20220316-0.rdf", FILETYPES,
                        err)) < 0)
    goto cleanup;
  if ((rc = concepts(&g, FILETYPES, &c, &n)) < 0)
    goto oom;
  for (i = 0; i < n; i++) {
    const char *f[4], *s;

    f[0] = c[i];
    f[1] = obj(&g, c[i], DC_ID, NULL, 0);
    f[2] = obj(&g, c[i], SKOS "prefLabel", "en", 0);
    f[3] = obj(&g, c[i], AT "deprecated", NULL, 0);
    f[3] = f[3] && strcmp(f[3], "true") == 0 ? "yes" : "no";
    if ((rc = add_line(&rows, f, 4)) < 0 ||
        (rc = add_alias(&al, f[1], c[i], "vocabulary-code", 0)) < 0 ||
        (rc = add_alias(&al, f[2], c[i], "vocabulary-label", 0)) < 0 ||
        (rc = mapped_codes(&g, c[i], &al)) < 0)
      goto oom;
    for (k = 0; (s = obj(&g, c[i], SKOS "altLabel", "en", k)); k++)
      if ((rc = add_alias(&al, s, c[i], "vocabulary-label", 0)) < 0)
        goto oom;
  }
  rc = write_vocabulary(out, tools, "filetype", 0, "EU file types 20220316-0",
                        "iri\tcode\tlabel\tdeprecated",
                        "vocabulary codes, labels, extensions and media "
                        "types merged with tools/filetype_aliases.in.tsv",
                        &rows, &al, err);
  goto cleanup;
oom:
  rc = hv_error_oom(err);
cleanup:
  hv_free(c);
  lines_fini(&rows);
  aliases_fini(&al);
  hv_graph_fini(&g);
  return rc;
}

/* Curated states, looked up by contributor id. */
typedef struct states {
  char **id, **state, **comment;
  size_t len;
} states;

static int curated_state(char **f, size_t n, void *payload)
{
  states *s = payload;
  char **a, **b, **c;

  (void)n;
  a = hv_realloc(s->id, (s->len + 1) * sizeof(*a));
  if (a)
    s->id = a;
  b = hv_realloc(s->state, (s->len + 1) * sizeof(*b));
  if (b)
    s->state = b;
  c = hv_realloc(s->comment, (s->len + 1) * sizeof(*c));
  if (c)
    s->comment = c;
  if (!a || !b || !c)
    return HV_ENOMEM;
  s->id[s->len] = f[0];
  s->state[s->len] = f[1];
  s->comment[s->len] = f[2];
  s->len++;
  return 0;
}

static int gen_contributors(const char *vdir, const char *out,
                            const char *tools, hv_error *err)
{
  hv_graph g;
  const char **c = NULL;
  size_t n = 0, i, k;
  states st = {0};
  lines rows = {0};
  int rc;

  hv_graph_init(&g);
  if ((rc = parse_vocab(&g, vdir, "dcat-ap-de-contributors-20251021.rdf",
                        CONTRIBUTORS, err)) < 0 ||
      (rc = read_curated(tools, "contributor_states.in.tsv", 3,
                         curated_state, &st, err)) < 0)
    goto cleanup;
  if ((rc = concepts(&g, CONTRIBUTORS, &c, &n)) < 0)
    goto oom;
  for (i = 0; i < n; i++) {
    const char *f[5];

    f[0] = c[i];
    f[1] = obj(&g, c[i], DC_ID, NULL, 0);
    f[2] = obj(&g, c[i], SKOS "prefLabel", "de", 0);
    f[3] = "";
    f[4] = "state not assigned yet";
    for (k = 0; f[1] && k < st.len; k++)
      if (strcmp(st.id[k], f[1]) == 0) {
        f[3] = st.state[k];
        f[4] = st.comment[k];
      }
    if ((rc = add_line(&rows, f, 5)) < 0)
      goto oom;
  }
  rc = write_table(out, "contributors.tsv",
                   "dcat-ap.de contributors 20251021; state and comment from "
                   "tools/contributor_states.in.tsv",
                   "iri\tid\tlabel\tstate\tcomment", &rows, err);
  goto cleanup;
oom:
  rc = hv_error_oom(err);
cleanup:
  hv_free(c);
  hv_free(st.id);
  hv_free(st.state);
  hv_free(st.comment);
  lines_fini(&rows);
  hv_graph_fini(&g);
  return rc;
}

int main(int argc, char **argv)
{
  hv_error err = HV_ERROR_INIT;
  const char *tools = argc > 3 ? argv[3] : HV_PROFILE_TOOLS_DIR;
  size_t i;
  int rc;

  if (argc < 3 || argc > 4) {
    fprintf(stderr, "usage: %s VOCABULARY_DIR OUT_DIR [TOOLS_DIR]\n",
            argv[0]);
    return 2;
  }
  hv_rdf_global_init();
  if ((rc = gen_licenses(argv[1], argv[2], tools, &err)) == 0 &&
      (rc = gen_themes(argv[1], argv[2], tools, &err)) == 0 &&
      (rc = gen_filetypes(argv[1], argv[2], tools, &err)) == 0)
    rc = gen_contributors(argv[1], argv[2], tools, &err);
  for (i = 0; i < ninputs; i++)
    hv_buf_fini(&inputs[i]);
  hv_rdf_global_cleanup();
  if (rc < 0) {
    fprintf(stderr, "gen_tables: %s\n", err.msg);
    return 1;
  }
  return 0;
}
