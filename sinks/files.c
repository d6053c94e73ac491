/*
 * Files sink (see files.h).
 *
 * Datasets are stored as canonical N-Triples whose blank nodes are
 * labelled c14n0, c14n1, ... in every dataset, so they are read back
 * with raptor and relabelled per dataset before being joined; otherwise
 * _:c14n0 of one dataset would merge with _:c14n0 of the next.
 *
 * The Turtle writer streams: one subject block per subject with ";" and
 * "," lists, prefixed names where the local part is plainly safe, and the
 * N-Triples term syntax (which is valid Turtle) everywhere else. raptor's
 * own Turtle serializer holds the whole graph in memory to nest blank
 * nodes, which a 100,000-dataset catalog cannot afford.
 */
#include "sinks/files.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "decode/rdfparse.h"
#include "model/graph.h"
#include "sinks/sink.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/hash.h"

#define MAX_FILE_CHUNK ((size_t)64 << 20)

static const struct {
  const char *prefix;
  const char *iri;
} known_prefixes[] = {
    {"adms", "http://www.w3.org/ns/adms#"},
    {"dcat", "http://www.w3.org/ns/dcat#"},
    {"dcatde", "http://dcat-ap.de/def/dcatde/"},
    {"dct", "http://purl.org/dc/terms/"},
    {"foaf", "http://xmlns.com/foaf/0.1/"},
    {"locn", "http://www.w3.org/ns/locn#"},
    {"owl", "http://www.w3.org/2002/07/owl#"},
    {"rdf", "http://www.w3.org/1999/02/22-rdf-syntax-ns#"},
    {"rdfs", "http://www.w3.org/2000/01/rdf-schema#"},
    {"schema", "http://schema.org/"},
    {"skos", "http://www.w3.org/2004/02/skos/core#"},
    {"spdx", "http://spdx.org/rdf/terms#"},
    {"vcard", "http://www.w3.org/2006/vcard/ns#"},
    {"xsd", "http://www.w3.org/2001/XMLSchema#"},
};

#define N_PREFIXES (sizeof(known_prefixes) / sizeof(known_prefixes[0]))

typedef struct out_file {
  char *final_path;
  char *tmp_path;
  FILE *fp;
} out_file;

typedef struct sink_ctx {
  out_file nt;
  out_file ttl;
  hv_buf line;     /* reused per dataset */
  size_t datasets;
  size_t triples;
  size_t withheld;     /* datasets skipped for their violations */
  int withhold;        /* skip datasets with violations */
  hv_error *err;
} sink_ctx;

static int out_open(out_file *f, const char *dir, const char *name,
                    hv_error *err)
{
  hv_buf path = HV_BUF_INIT(4096);
  int fd;

  if (hv_buf_addf(&path, "%s/%s", dir, name) < 0 ||
      !(f->final_path = hv_strdup(path.ptr)) ||
      hv_buf_addstr(&path, ".XXXXXX") < 0) {
    hv_buf_fini(&path);
    return hv_error_oom(err);
  }
  if ((fd = mkstemp(path.ptr)) < 0) {
    hv_error_set(err, HV_EIO, "files sink: cannot create %s: %s", path.ptr,
                 strerror(errno));
    hv_buf_fini(&path);
    return HV_EIO;
  }
  f->tmp_path = hv_buf_detach(&path, NULL);
  if (!f->tmp_path || !(f->fp = fdopen(fd, "w"))) {
    close(fd);
    return hv_error_set(err, HV_EIO, "files sink: cannot open %s",
                        f->tmp_path ? f->tmp_path : name);
  }
  return 0;
}

/* Flushes and syncs the temporary file to disk. */
static int out_sync(out_file *f, hv_error *err)
{
  int failed = fflush(f->fp) != 0 || fsync(fileno(f->fp)) != 0;

  failed |= fclose(f->fp) != 0;
  f->fp = NULL;
  if (failed)
    return hv_error_set(err, HV_EIO, "files sink: cannot write %s: %s",
                        f->tmp_path, strerror(errno));
  return 0;
}

/* Renames the synced temporary file into place. */
static int out_rename(out_file *f, hv_error *err)
{
  if (rename(f->tmp_path, f->final_path) != 0)
    return hv_error_set(err, HV_EIO, "files sink: cannot rename to %s: %s",
                        f->final_path, strerror(errno));
  hv_free(f->tmp_path);
  f->tmp_path = NULL;
  return 0;
}

static void out_discard(out_file *f)
{
  if (f->fp)
    fclose(f->fp);
  if (f->tmp_path)
    unlink(f->tmp_path);
  hv_free(f->tmp_path);
  hv_free(f->final_path);
  memset(f, 0, sizeof(*f));
}

static int out_write(out_file *f, const hv_buf *b, hv_error *err)
{
  if (b->len && fwrite(b->ptr, 1, b->len, f->fp) != b->len)
    return hv_error_set(err, HV_EIO, "files sink: write to %s failed: %s",
                        f->tmp_path, strerror(errno));
  return 0;
}

/* Returns the prefix index whose IRI starts t's IRI with a safe local
 * name after it, or -1. */
static int find_prefix(const hv_term *t, const char **local)
{
  size_t i, n;
  const char *p;

  if (t->kind != HV_TERM_IRI)
    return -1;
  for (i = 0; i < N_PREFIXES; i++) {
    n = strlen(known_prefixes[i].iri);
    if (strncmp(t->value, known_prefixes[i].iri, n) != 0)
      continue;
    p = t->value + n;
    if (!*p || !((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z')))
      return -1;
    for (; *p; p++) {
      if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
            (*p >= '0' && *p <= '9') || *p == '_' || *p == '-'))
        return -1;
    }
    *local = t->value + n;
    return (int)i;
  }
  return -1;
}

static int write_ttl_term(hv_buf *b, const hv_term *t)
{
  const char *local;
  int i = find_prefix(t, &local);
  int rc;

  if (i < 0)
    return hv_term_write_nt(b, t);
  if ((rc = hv_buf_addstr(b, known_prefixes[i].prefix)) == 0 &&
      (rc = hv_buf_addc(b, ':')) == 0)
    rc = hv_buf_addstr(b, local);
  return rc;
}

static int quad_cmp(const void *a, const void *b)
{
  const hv_quad *x = a, *y = b;
  int c;

  if ((c = hv_term_cmp(&x->s, &y->s)) != 0)
    return c;
  if ((c = hv_term_cmp(&x->p, &y->p)) != 0)
    return c;
  return hv_term_cmp(&x->o, &y->o);
}

/* Writes g (sorted) as Turtle subject blocks. */
static int write_ttl_graph(hv_buf *b, hv_graph *g)
{
  static const hv_term rdf_type = {
      "http://www.w3.org/1999/02/22-rdf-syntax-ns#type", NULL, NULL,
      HV_TERM_IRI};
  size_t i;
  int rc = 0;

  for (i = 0; i < g->len && rc == 0; i++) {
    const hv_quad *q = &g->quads[i];
    const hv_quad *prev = i ? &g->quads[i - 1] : NULL;

    if (!prev || !hv_term_equal(&prev->s, &q->s)) {
      if (prev)
        rc = hv_buf_add(b, " .\n", 3);
      if (rc == 0 && (rc = hv_buf_addc(b, '\n')) == 0 &&
          (rc = write_ttl_term(b, &q->s)) == 0)
        rc = hv_buf_addstr(b, "\n  ");
    } else if (!hv_term_equal(&prev->p, &q->p)) {
      rc = hv_buf_addstr(b, " ;\n  ");
    } else {
      rc = hv_buf_addstr(b, " ,\n    ");
      goto object;
    }
    if (rc == 0)
      rc = hv_term_equal(&q->p, &rdf_type) ? hv_buf_addc(b, 'a')
                                           : write_ttl_term(b, &q->p);
    if (rc == 0)
      rc = hv_buf_addc(b, ' ');
  object:
    if (rc == 0)
      rc = write_ttl_term(b, &q->o);
  }
  if (rc == 0 && g->len)
    rc = hv_buf_add(b, " .\n", 3);
  return rc;
}

/* Gives every blank node of dataset number `index` a file-unique label. */
static int relabel(hv_graph *g, size_t index)
{
  char label[64];
  size_t i;
  hv_term *terms[2];
  int k;

  for (i = 0; i < g->len; i++) {
    terms[0] = &g->quads[i].s;
    terms[1] = &g->quads[i].o;
    for (k = 0; k < 2; k++) {
      if (terms[k]->kind != HV_TERM_BLANK)
        continue;
      snprintf(label, sizeof(label), "d%zu_%s", index, terms[k]->value);
      if (!(terms[k]->value = hv_arena_strdup(&g->arena, label)))
        return HV_ENOMEM;
    }
  }
  return 0;
}

static int write_dataset(const hv_dataset_row *row, void *payload)
{
  sink_ctx *ctx = payload;
  hv_graph g;
  size_t i;
  int rc;

  if (ctx->withhold && row->violations > 0) {
    ctx->withheld++;
    return 0;
  }
  hv_graph_init(&g);
  /* N-Triples is Turtle; raptor's Turtle reader is the stricter one and
   * does not leak datatype IRIs as its N-Triples reader does. */
  if ((rc = hv_rdf_parse(&g, "turtle", row->payload, row->payload_len,
                         NULL, ctx->err)) < 0) {
    hv_error_prefix(ctx->err, "files sink: stored dataset %s: ", row->key);
    goto cleanup;
  }
  if ((rc = relabel(&g, ctx->datasets)) < 0) {
    hv_error_oom(ctx->err);
    goto cleanup;
  }
  qsort(g.quads, g.len, sizeof(*g.quads), quad_cmp);

  hv_buf_reset(&ctx->line);
  for (i = 0; i < g.len && rc == 0; i++)
    rc = hv_quad_write_nq(&ctx->line, &g.quads[i]);
  if (rc < 0 || (rc = out_write(&ctx->nt, &ctx->line, ctx->err)) < 0)
    goto fail;

  hv_buf_reset(&ctx->line);
  if ((rc = write_ttl_graph(&ctx->line, &g)) < 0 ||
      (rc = out_write(&ctx->ttl, &ctx->line, ctx->err)) < 0)
    goto fail;
  ctx->datasets++;
  ctx->triples += g.len;
  goto cleanup;

fail:
  if (ctx->err->code == HV_OK)
    hv_error_set(ctx->err, rc, "files sink: dataset %s: %s", row->key,
                 hv_strerror(rc));
cleanup:
  hv_graph_fini(&g);
  return rc;
}

/*
 * Which datasets the files hold: a publication view of the store (see
 * hv_store_publication_foreach), never the stored copies as such, so a
 * superseded copy, or one stored by a page whose resolve has not run,
 * never reaches a file.
 */
typedef struct view {
  const char *sink; /* NULL: the publication; else what the sink holds */
  int withhold;     /* leave out datasets with violations */
} view;

static int write_catalog(hv_store *store, int64_t source_id, const char *dir,
                         const view *v, hv_files_stats *stats, hv_error *err)
{
  sink_ctx ctx;
  size_t i;
  int rc;

  memset(&ctx, 0, sizeof(ctx));
  ctx.err = err;
  /* Withheld in the callback rather than in the query, to count them. */
  ctx.withhold = v->withhold;
  hv_buf_init(&ctx.line, MAX_FILE_CHUNK);
  if ((rc = out_open(&ctx.nt, dir, "catalog.nt", err)) < 0 ||
      (rc = out_open(&ctx.ttl, dir, "catalog.ttl", err)) < 0)
    goto cleanup;

  for (i = 0; i < N_PREFIXES && rc == 0; i++)
    rc = hv_buf_addf(&ctx.line, "@prefix %s: <%s> .\n",
                     known_prefixes[i].prefix, known_prefixes[i].iri);
  if (rc < 0 || (rc = out_write(&ctx.ttl, &ctx.line, err)) < 0) {
    if (err->code == HV_OK)
      hv_error_oom(err);
    goto cleanup;
  }
  if ((rc = hv_store_publication_foreach(store, v->sink, 0, source_id,
                                         write_dataset, &ctx, err)) < 0)
    goto cleanup;
  /* Both files are on disk before either replaces its predecessor. */
  if ((rc = out_sync(&ctx.nt, err)) < 0 || (rc = out_sync(&ctx.ttl, err)) < 0 ||
      (rc = out_rename(&ctx.nt, err)) < 0 || (rc = out_rename(&ctx.ttl, err)) < 0)
    goto cleanup;
  if (stats) {
    stats->datasets = ctx.datasets;
    stats->triples = ctx.triples;
    stats->withheld = ctx.withheld;
  }

cleanup:
  out_discard(&ctx.nt);
  out_discard(&ctx.ttl);
  hv_buf_fini(&ctx.line);
  return rc;
}

int hv_files_sink_write(hv_store *store, int64_t source_id, const char *dir,
                        hv_files_stats *stats, hv_error *err)
{
  return hv_files_sink_write_published(store, source_id, dir, 0, stats, err);
}

int hv_files_sink_write_published(hv_store *store, int64_t source_id,
                                  const char *dir, int withhold_violations,
                                  hv_files_stats *stats, hv_error *err)
{
  view v = {NULL, withhold_violations};

  return write_catalog(store, source_id, dir, &v, stats, err);
}

/* ---- the paged catalog export ------------------------------------------ */

/*
 * Besides the two whole-catalog files the sink writes DIR/pages/: the
 * catalog cut into pages of page_size datasets, page-1.ttl, page-2.ttl,
 * ..., each a dcat:Catalog listing its datasets plus a Hydra
 * PartialCollectionView (first, previous, next, last, totalItems) and
 * the datasets' triples, and pages/etags.tsv with one line
 * "page-N.ttl<TAB>ETag" per page. The ETag is the quoted SHA-256 of the
 * page, so it changes exactly when the page's bytes do; a server can
 * answer conditional requests from the manifest without reading pages.
 */

#define HYDRA "http://www.w3.org/ns/hydra/core#"
#define DCAT_NS "http://www.w3.org/ns/dcat#"
#define RDF_TYPE "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"

typedef struct page_ctx {
  const char *dir;      /* DIR/pages */
  const char *base;     /* catalog IRI; pages are base?page=N */
  size_t page_size;
  size_t total;         /* datasets in the catalog */
  size_t pages;         /* ceil(total / page_size), at least 1 */
  size_t index;         /* datasets seen so far */
  size_t page;          /* current page number, 1-based */
  hv_buf links;         /* dcat:dataset lines of the current page */
  hv_buf body;          /* dataset triples of the current page */
  hv_buf etags;         /* the manifest */
  hv_error *err;
} page_ctx;

static int count_dataset(const hv_dataset_row *row, void *payload)
{
  (void)row;
  ((page_ctx *)payload)->total++;
  return 0;
}

/* Writes content to dir/name through a synced temporary file. */
static int write_atomic(const char *dir, const char *name, const hv_buf *b,
                        hv_error *err)
{
  out_file f;
  int rc;

  memset(&f, 0, sizeof(f));
  if ((rc = out_open(&f, dir, name, err)) == 0 &&
      (rc = out_write(&f, b, err)) == 0 && (rc = out_sync(&f, err)) == 0)
    rc = out_rename(&f, err);
  out_discard(&f);
  return rc;
}

static int page_iri(hv_buf *b, const page_ctx *p, size_t n)
{
  return hv_buf_addf(b, "<%s?page=%zu>", p->base, n);
}

/* Writes the current page with its Hydra view and records its ETag. */
static int page_emit(page_ctx *p)
{
  hv_buf page = HV_BUF_INIT(MAX_FILE_CHUNK);
  char name[64], hex[HV_SHA256_HEX_LEN + 1];
  int rc;

  snprintf(name, sizeof(name), "page-%zu.ttl", p->page);
  rc = hv_buf_addf(&page, "<%s> <" RDF_TYPE "> <" DCAT_NS "Catalog> .\n",
                   p->base);
  if (rc == 0)
    rc = hv_buf_add(&page, p->links.ptr ? p->links.ptr : "", p->links.len);
  if (rc == 0 && (rc = page_iri(&page, p, p->page)) == 0)
    rc = hv_buf_addstr(&page, " <" RDF_TYPE "> <" HYDRA
                              "PartialCollectionView> .\n");
#define VIEW_LINK(prop, n)                                                   \
  do {                                                                       \
    if (rc == 0 && (rc = page_iri(&page, p, p->page)) == 0 &&                \
        (rc = hv_buf_addstr(&page, " <" HYDRA prop "> ")) == 0 &&            \
        (rc = page_iri(&page, p, (n))) == 0)                                 \
      rc = hv_buf_addstr(&page, " .\n");                                     \
  } while (0)
  VIEW_LINK("first", (size_t)1);
  VIEW_LINK("last", p->pages);
  if (p->page > 1)
    VIEW_LINK("previous", p->page - 1);
  if (p->page < p->pages)
    VIEW_LINK("next", p->page + 1);
#undef VIEW_LINK
  if (rc == 0)
    rc = hv_buf_addf(&page,
                     "<%s> <" HYDRA "totalItems> \"%zu\"^^<http://www.w3.org/"
                     "2001/XMLSchema#integer> .\n",
                     p->base, p->total);
  if (rc == 0)
    rc = hv_buf_add(&page, p->body.ptr ? p->body.ptr : "", p->body.len);
  if (rc < 0) {
    hv_error_set(p->err, rc, "files sink: page %zu: %s", p->page,
                 hv_strerror(rc));
    goto cleanup;
  }
  hv_sha256_hex(page.ptr, page.len, hex);
  if ((rc = write_atomic(p->dir, name, &page, p->err)) < 0)
    goto cleanup;
  if ((rc = hv_buf_addf(&p->etags, "%s\t\"%s\"\n", name, hex)) < 0)
    hv_error_oom(p->err);
  hv_buf_reset(&p->links);
  hv_buf_reset(&p->body);
  p->page++;

cleanup:
  hv_buf_fini(&page);
  return rc;
}

static int page_dataset(const hv_dataset_row *row, void *payload)
{
  page_ctx *p = payload;
  hv_graph g;
  size_t i;
  int rc;

  hv_graph_init(&g);
  if ((rc = hv_rdf_parse(&g, "turtle", row->payload, row->payload_len, NULL,
                         p->err)) < 0) {
    hv_error_prefix(p->err, "files sink: stored dataset %s: ", row->key);
    goto cleanup;
  }
  if ((rc = relabel(&g, p->index)) < 0) {
    hv_error_oom(p->err);
    goto cleanup;
  }
  qsort(g.quads, g.len, sizeof(*g.quads), quad_cmp);
  for (i = 0; i < g.len && rc == 0; i++) {
    const hv_quad *q = &g.quads[i];

    if (q->o.kind == HV_TERM_IRI && strcmp(q->p.value, RDF_TYPE) == 0 &&
        strcmp(q->o.value, DCAT_NS "Dataset") == 0) {
      if ((rc = hv_buf_addf(&p->links, "<%s> <" DCAT_NS "dataset> ",
                            p->base)) == 0 &&
          (rc = hv_term_write_nt(&p->links, &q->s)) == 0)
        rc = hv_buf_addstr(&p->links, " .\n");
    }
    if (rc == 0)
      rc = hv_quad_write_nq(&p->body, q);
  }
  if (rc < 0) {
    hv_error_set(p->err, rc, "files sink: page %zu: dataset %s: %s", p->page,
                 row->key, hv_strerror(rc));
    goto cleanup;
  }
  p->index++;
  if (p->index % p->page_size == 0)
    rc = page_emit(p);

cleanup:
  hv_graph_fini(&g);
  return rc;
}

static int write_pages(hv_store *store, const char *dir, const view *v,
                       const char *base_iri, size_t page_size,
                       size_t *pages_out, hv_error *err)
{
  page_ctx p;
  hv_buf path = HV_BUF_INIT(4096);
  char name[64];
  size_t n;
  int rc;

  memset(&p, 0, sizeof(p));
  p.base = base_iri;
  p.page_size = page_size ? page_size : 100;
  p.page = 1;
  p.err = err;
  hv_buf_init(&p.links, MAX_FILE_CHUNK);
  hv_buf_init(&p.body, MAX_FILE_CHUNK);
  hv_buf_init(&p.etags, MAX_FILE_CHUNK);
  if (hv_buf_addf(&path, "%s/pages", dir) < 0) {
    rc = hv_error_oom(err);
    goto cleanup;
  }
  p.dir = path.ptr;
  if (mkdir(p.dir, 0755) != 0 && errno != EEXIST) {
    rc = hv_error_set(err, HV_EIO, "files sink: cannot create %s: %s", p.dir,
                      strerror(errno));
    goto cleanup;
  }
  if ((rc = hv_store_publication_foreach(store, v->sink, v->withhold, 0,
                                         count_dataset, &p, err)) < 0)
    goto cleanup;
  p.pages = p.total ? (p.total + p.page_size - 1) / p.page_size : 1;
  if ((rc = hv_store_publication_foreach(store, v->sink, v->withhold, 0,
                                         page_dataset, &p, err)) < 0)
    goto cleanup;
  /* The last, partial page; an empty catalog still has page 1. */
  if ((p.index % p.page_size != 0 || p.total == 0) &&
      (rc = page_emit(&p)) < 0)
    goto cleanup;
  if ((rc = write_atomic(p.dir, "etags.tsv", &p.etags, err)) < 0)
    goto cleanup;
  /* Pages beyond the new last one belong to a bigger, older catalog. */
  for (n = p.pages + 1;; n++) {
    hv_buf old = HV_BUF_INIT(4096);

    snprintf(name, sizeof(name), "page-%zu.ttl", n);
    if (hv_buf_addf(&old, "%s/%s", p.dir, name) < 0 || unlink(old.ptr) != 0) {
      hv_buf_fini(&old);
      break;
    }
    hv_buf_fini(&old);
  }
  if (pages_out)
    *pages_out = p.pages;

cleanup:
  hv_buf_fini(&p.links);
  hv_buf_fini(&p.body);
  hv_buf_fini(&p.etags);
  hv_buf_fini(&path);
  return rc;
}

int hv_files_sink_write_pages(hv_store *store, const char *dir,
                              const char *base_iri, size_t page_size,
                              size_t *pages_out, hv_error *err)
{
  view v = {NULL, 0};

  return write_pages(store, dir, &v, base_iri, page_size, pages_out, err);
}

int hv_files_sink_export(hv_store *store, const char *sink, int withhold,
                         const char *dir, const char *base_iri,
                         size_t page_size, hv_files_stats *stats,
                         hv_error *err)
{
  view v = {sink, withhold};
  int rc;

  if ((rc = write_catalog(store, 0, dir, &v, stats, err)) == 0)
    rc = write_pages(store, dir, &v, base_iri, page_size, NULL, err);
  return rc;
}

/* ---- the files sink behind the sink interface --------------------------- */

typedef struct files_sink {
  char *dir;
  char *base;       /* catalog IRI of the paged export */
  size_t page_size;
  int withhold;     /* violations = withhold: leave them out */
} files_sink;

static int files_open(hv_sink *s, const hv_sink_conf *conf,
                      const hv_sink_env *env, hv_error *err)
{
  const char *dir = hv_sink_conf_get(conf, "dir");
  const char *base = hv_sink_conf_get(conf, "catalog_iri");
  long page_size = 100;
  files_sink *f;
  int rc;

  (void)env;
  if (!dir || !*dir)
    return hv_error_set(err, HV_EINVAL, "%s:%d: sink %s: 'dir' is required",
                        conf->path, conf->line, conf->name);
  if ((rc = hv_sink_conf_int(conf, "page_size", 1, 100000, &page_size, err)) <
      0)
    return rc;
  if (!(f = hv_calloc(1, sizeof(*f))) || !(f->dir = hv_strdup(dir)) ||
      !(f->base = hv_strdup(base ? base : "urn:govharvest:catalog"))) {
    if (f)
      hv_free(f->dir);
    hv_free(f);
    return hv_error_oom(err);
  }
  f->page_size = (size_t)page_size;
  if ((rc = hv_sink_conf_withhold(conf, &f->withhold, err)) < 0) {
    hv_free(f->dir);
    hv_free(f->base);
    hv_free(f);
    return rc;
  }
  s->impl = f;
  return 0;
}

/* The files are rewritten from the store at flush; an operation only
 * says that they are out of date. */
static int files_op(hv_sink *s, const hv_sink_item *item, hv_sink_cb cb,
                    void *payload)
{
  (void)s;
  (void)item;
  cb(HV_SINK_OK, NULL, payload);
  return 0;
}

static int files_flush(hv_sink *s, hv_error *err)
{
  files_sink *f = s->impl;

  /* What the resolves queued for this sink, which is what it holds once
   * this drain's operations are confirmed. */
  return hv_files_sink_export(s->env.store, s->name, f->withhold, f->dir,
                              f->base, f->page_size, NULL, err);
}

static void files_close(hv_sink *s)
{
  files_sink *f = s->impl;

  hv_free(f->dir);
  hv_free(f->base);
  hv_free(f);
}

static int files_describe(const hv_sink *s, hv_buf *out)
{
  const files_sink *f = s->impl;

  return hv_buf_addf(out, "files into %s (pages of %zu)", f->dir,
                     f->page_size);
}

const hv_sink_type hv_sink_files = {"files",      1,           files_open,
                                    files_op,     files_op,    files_flush,
                                    files_close,  files_describe};
