/*
 * `govharvest validate FILE|URL`: one document through the harvest's own
 * decode, split and assessment (map, and check once it joins assess.c),
 * without a store. It prints every dataset's findings as a table or as
 * JSON with the English and German messages, and with --mapped the
 * mapped graph as Turtle, so that a state operator can see what the
 * harvest would make of a file before publishing it.
 *
 * A URL is fetched with the harvest's fetcher and its address policy:
 * loopback and private addresses need --allow-loopback/--allow-private.
 */
#include <getopt.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "cli/cli.h"
#include "cli/cli_int.h"
#include "cli/table.h"
#include "decode/page.h"
#include "fetch/fetch.h"
#include "harvest/assess.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/file.h"

static const char validate_usage[] =
    "usage: govharvest validate FILE|URL [--profiles DIR] "
    "[--source-conf FILE]\n"
    "                           [--format rdfxml|turtle|ntriples] [--json]\n"
    "                           [--mapped] [--allow-loopback] "
    "[--allow-private]\n"
    "\n"
    "Decodes one document as a harvest would, maps every dataset with the\n"
    "profile and prints its findings. Nothing is stored.\n"
    "  --profiles DIR       profile directory (dcat-ap-de/ and sources/)\n"
    "  --source-conf FILE   a source's profile file (profiles/sources/)\n"
    "  --format F           syntax, instead of Content-Type and sniffing\n"
    "  --json               findings as JSON, messages in English and "
    "German\n"
    "  --mapped             the mapped datasets as Turtle on stdout (the\n"
    "                       findings table then goes to stderr; with --json\n"
    "                       each dataset carries its Turtle)\n"
    "  --allow-loopback     permit a URL on 127.0.0.0/8 and ::1\n"
    "  --allow-private      permit a URL on a private network\n"
    "\n"
    "Exit codes: 0 no violations; 1 violations or rejected datasets found,\n"
    "or the document or profile could not be read; 2 bad command line.\n";

/* The Turtle writer's prefixes, most specific namespace first. */
static const struct {
  const char *prefix;
  const char *iri;
} prefixes[] = {
    {"dcatde", "http://dcat-ap.de/def/dcatde/"},
    {"dcat", "http://www.w3.org/ns/dcat#"},
    {"dct", "http://purl.org/dc/terms/"},
    {"foaf", "http://xmlns.com/foaf/0.1/"},
    {"rdf", "http://www.w3.org/1999/02/22-rdf-syntax-ns#"},
    {"rdfs", "http://www.w3.org/2000/01/rdf-schema#"},
    {"xsd", "http://www.w3.org/2001/XMLSchema#"},
    {"vcard", "http://www.w3.org/2006/vcard/ns#"},
    {"adms", "http://www.w3.org/ns/adms#"},
    {"skos", "http://www.w3.org/2004/02/skos/core#"},
    {"locn", "http://www.w3.org/ns/locn#"},
    {"spdx", "http://spdx.org/rdf/terms#"},
};

#define N_PREFIXES (sizeof(prefixes) / sizeof(prefixes[0]))

/* A body read from a file or fetched. */
typedef struct document {
  char *body;
  size_t len;
  char *content_type; /* NULL for a file */
  char *base;         /* base IRI: the URL after redirects, file:// path */
  long status;        /* HTTP status, 0 for a file */
  int rc;
  hv_error err;
} document;

static void on_fetched(int status, const hv_fetch_result *r,
                       const hv_error *ferr, void *payload)
{
  document *doc = payload;

  if (status < 0) {
    doc->rc = status;
    doc->err = *ferr;
    return;
  }
  doc->status = r->status;
  if (r->status != 200) {
    doc->rc = hv_error_set(&doc->err, HV_EHTTP, "%s: HTTP %ld",
                           r->effective_url ? r->effective_url : "(url)",
                           r->status);
    return;
  }
  doc->body = hv_strndup(r->body, r->len);
  doc->len = r->len;
  doc->content_type = r->content_type ? hv_strdup(r->content_type) : NULL;
  doc->base = hv_strdup(r->effective_url ? r->effective_url : "");
  if (!doc->body || !doc->base || (r->content_type && !doc->content_type))
    doc->rc = hv_error_oom(&doc->err);
}

static int fetch_document(document *doc, const char *url,
                          const hv_fetch_opts *fopts)
{
  uv_loop_t loop;
  hv_fetcher *f = NULL;
  int rc;

  if ((rc = uv_loop_init(&loop)) < 0)
    return hv_error_set(&doc->err, HV_EIO, "event loop: %s",
                        uv_strerror(rc));
  doc->rc = HV_ECANCELED;
  hv_error_set(&doc->err, HV_ECANCELED, "%s: fetch did not finish", url);
  if ((rc = hv_fetcher_new(&f, &loop, fopts, &doc->err)) == 0) {
    if ((rc = hv_fetcher_get(f, url, NULL, NULL, on_fetched, doc,
                             &doc->err)) == 0) {
      doc->rc = 0;
      hv_error_clear(&doc->err);
      uv_run(&loop, UV_RUN_DEFAULT);
      rc = doc->rc;
    }
  }
  hv_fetcher_close(f);
  uv_run(&loop, UV_RUN_DEFAULT);
  uv_loop_close(&loop);
  return rc;
}

static int read_document(document *doc, const char *path, size_t max)
{
  hv_buf b = HV_BUF_INIT(max);
  char abs[PATH_MAX];
  int rc;

  if ((rc = hv_file_read(path, &b, &doc->err)) < 0) {
    hv_buf_fini(&b);
    return rc;
  }
  doc->body = hv_buf_detach(&b, &doc->len);
  /* Relative IRIs in the file resolve against its own location. */
  hv_buf_init(&b, PATH_MAX + 16);
  if (hv_buf_addf(&b, "file://%s",
                  realpath(path, abs) ? abs : path) == 0)
    doc->base = hv_buf_detach(&b, NULL);
  hv_buf_fini(&b);
  if (!doc->body || !doc->base)
    return hv_error_oom(&doc->err);
  return 0;
}

static void document_fini(document *doc)
{
  hv_free(doc->body);
  hv_free(doc->content_type);
  hv_free(doc->base);
}

static int quad_cmp(const void *a, const void *b)
{
  const hv_quad *x = a, *y = b;
  int c;

  if ((c = hv_term_cmp(&x->s, &y->s)) != 0 ||
      (c = hv_term_cmp(&x->p, &y->p)) != 0)
    return c;
  return hv_term_cmp(&x->o, &y->o);
}

/* Returns 1 if local may stand after "prefix:" unescaped. */
static int plain_local(const char *local)
{
  const char *p;

  if (!*local)
    return 0;
  for (p = local; *p; p++) {
    if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
          (*p >= '0' && *p <= '9') || *p == '_' ||
          (*p == '-' && p != local)))
      return 0;
  }
  return 1;
}

static int write_term(hv_buf *b, const hv_term *t, int is_predicate)
{
  size_t i, n;

  if (t->kind == HV_TERM_IRI) {
    if (is_predicate &&
        strcmp(t->value, "http://www.w3.org/1999/02/22-rdf-syntax-ns#type") ==
            0)
      return hv_buf_addstr(b, "a");
    for (i = 0; i < N_PREFIXES; i++) {
      n = strlen(prefixes[i].iri);
      if (strncmp(t->value, prefixes[i].iri, n) == 0 &&
          plain_local(t->value + n))
        return hv_buf_addf(b, "%s:%s", prefixes[i].prefix, t->value + n);
    }
  }
  return hv_term_write_nt(b, t);
}

static int write_prefixes(hv_buf *b)
{
  size_t i;
  int rc = 0;

  for (i = 0; i < N_PREFIXES && rc == 0; i++)
    rc = hv_buf_addf(b, "@prefix %s: <%s> .\n", prefixes[i].prefix,
                     prefixes[i].iri);
  return rc;
}

/* Appends g as Turtle subject blocks, sorted, so output is stable. */
static int write_turtle(hv_buf *b, hv_graph *g)
{
  size_t i;
  int rc = 0;

  qsort(g->quads, g->len, sizeof(*g->quads), quad_cmp);
  for (i = 0; i < g->len && rc == 0; i++) {
    const hv_quad *q = &g->quads[i];
    int first = i == 0 || !hv_term_equal(&g->quads[i - 1].s, &q->s);
    int last = i + 1 == g->len || !hv_term_equal(&g->quads[i + 1].s, &q->s);

    if (first && (rc = hv_buf_addc(b, '\n')) == 0)
      rc = write_term(b, &q->s, 0);
    if (rc == 0)
      rc = hv_buf_addstr(b, "\n    ");
    if (rc == 0)
      rc = write_term(b, &q->p, 1);
    if (rc == 0)
      rc = hv_buf_addc(b, ' ');
    if (rc == 0)
      rc = write_term(b, &q->o, 0);
    if (rc == 0)
      rc = hv_buf_addstr(b, last ? " .\n" : " ;");
  }
  return rc;
}

typedef struct validate_args {
  const char *target;
  const char *profiles_dir;
  const char *source_conf;
  const char *format;
  int json;
  int mapped;
  hv_fetch_opts fetch;
} validate_args;

typedef struct totals {
  size_t datasets;
  size_t violations;
  size_t warnings;
  size_t infos;
} totals;

static json_t *finding_json(const hv_finding *f)
{
  return json_pack("{s:s,s:s,s:s?,s:s?,s:s?,s:s?,s:s,s:s?}", "rule", f->rule,
                   "severity", hv_severity_name(f->severity), "subject",
                   f->subject, "predicate", f->predicate, "old_value",
                   f->old_value, "new_value", f->new_value, "message",
                   f->message ? f->message : "", "message_de",
                   f->message_de);
}

static void print_findings(FILE *out, const hv_assess_info *info,
                           const hv_findings *fs)
{
  static const char *const headers[] = {"severity", "rule", "subject",
                                        "predicate", "old", "new",
                                        "message"};
  hv_table *t;
  size_t i;

  fprintf(out, "\ndataset %s\n  state %s, %zu distributions: %zu "
               "violations, %zu warnings, %zu findings\n",
          info->key, info->state ? info->state : "-", info->distributions,
          info->violations, info->warnings, fs->len);
  if (!fs->len || !(t = hv_table_new(7, headers)))
    return;
  for (i = 0; i < fs->len; i++) {
    const hv_finding *f = &fs->items[i];
    const char *cells[7];
    cells[0] = hv_severity_name(f->severity);
    cells[1] = f->rule;
    cells[2] = f->subject ? f->subject : "";
    cells[3] = f->predicate ? f->predicate : "";
    cells[4] = f->old_value ? f->old_value : "";
    cells[5] = f->new_value ? f->new_value : "";
    cells[6] = f->message ? f->message : "";
    hv_table_add(t, cells);
  }
  hv_table_print(t, out);
  hv_table_free(t);
}

/* Assesses every dataset of page and prints as asked. */
static int report_page(const validate_args *a, const hv_profile *p,
                       hv_page *page, totals *tot, hv_error *err)
{
  FILE *human = a->mapped ? stderr : stdout;
  hv_map_opts mopts = HV_MAP_OPTS_INIT;
  json_t *doc = NULL, *arr = NULL, *rej = NULL;
  hv_buf ttl = HV_BUF_INIT((size_t)256 << 20);
  size_t i;
  int rc = 0;

  if (a->json) {
    arr = json_array();
    rej = json_array();
    doc = json_pack("{s:s,s:s,s:I,s:s?}", "document", a->target, "syntax",
                    page->syntax ? page->syntax : "", "triples",
                    (json_int_t)page->triples, "warning", page->warning);
    if (!doc || !arr || !rej) {
      rc = hv_error_oom(err);
      goto cleanup;
    }
  } else {
    fprintf(human, "%s: %zu datasets, %zu rejected (%s, %zu triples)\n",
            a->target, page->n_datasets, page->n_rejected,
            page->syntax ? page->syntax : "?", page->triples);
    if (page->warning)
      fprintf(human, "warning: %s\n", page->warning);
  }
  if (a->mapped && !a->json && (rc = write_prefixes(&ttl)) < 0)
    goto oom;
  for (i = 0; i < page->n_datasets; i++) {
    hv_dataset_graph *dg = &page->datasets[i];
    hv_findings fs;
    hv_graph mapped;
    hv_assess_info info;
    size_t k;

    hv_findings_init(&fs);
    hv_graph_init(&mapped);
    memset(&info, 0, sizeof(info));
    if ((rc = hv_assess_dataset(p, &mopts, &dg->graph, dg->uri, &mapped, &fs,
                                err)) < 0 ||
        (rc = hv_assess_describe(p, &mapped, dg->uri, &fs, 0, &info,
                                 err)) < 0) {
      hv_error_prefix(err, "dataset %s: ", dg->key);
      goto next;
    }
    tot->datasets++;
    tot->violations += info.violations;
    tot->warnings += info.warnings;
    for (k = 0; k < fs.len; k++)
      tot->infos += fs.items[k].severity == HV_SEVERITY_INFO;
    if (a->json) {
      json_t *items = json_array(), *ds;
      for (k = 0; items && k < fs.len; k++)
        json_array_append_new(items, finding_json(&fs.items[k]));
      ds = json_pack("{s:s,s:s?,s:s?,s:s?,s:I,s:I,s:I,s:o}", "key", info.key,
                     "uri", info.uri, "identifier", info.identifier, "state",
                     info.state, "distributions",
                     (json_int_t)info.distributions, "violations",
                     (json_int_t)info.violations, "warnings",
                     (json_int_t)info.warnings, "findings", items);
      if (ds && a->mapped) {
        hv_buf one = HV_BUF_INIT((size_t)64 << 20);
        if (write_prefixes(&one) == 0 && write_turtle(&one, &mapped) == 0)
          json_object_set_new(ds, "mapped", json_string(one.ptr));
        hv_buf_fini(&one);
      }
      if (!ds || json_array_append_new(arr, ds) < 0)
        rc = hv_error_oom(err);
    } else {
      print_findings(human, &info, &fs);
      if (a->mapped && (rc = write_turtle(&ttl, &mapped)) < 0)
        rc = hv_error_oom(err);
    }
  next:
    hv_assess_info_fini(&info);
    hv_graph_fini(&mapped);
    hv_findings_fini(&fs);
    if (rc < 0)
      goto cleanup;
  }
  for (i = 0; i < page->n_rejected; i++) {
    if (a->json)
      json_array_append_new(rej, json_pack("{s:s,s:s}", "subject",
                                           page->rejected[i].subject,
                                           "reason",
                                           page->rejected[i].reason));
    else
      fprintf(human, "\nrejected: %s\n", page->rejected[i].reason);
  }
  if (a->json) {
    json_object_set_new(doc, "datasets", arr);
    json_object_set_new(doc, "rejected", rej);
    arr = rej = NULL;
    json_object_set_new(doc, "violations", json_integer(
                                               (json_int_t)tot->violations));
    json_object_set_new(doc, "warnings",
                        json_integer((json_int_t)tot->warnings));
    hv__cli_print_json(doc);
    doc = NULL;
  } else {
    fprintf(human, "\n%zu datasets: %zu violations, %zu warnings, %zu infos; "
                   "%zu rejected\n",
            tot->datasets, tot->violations, tot->warnings, tot->infos,
            page->n_rejected);
    if (a->mapped)
      fwrite(ttl.ptr ? ttl.ptr : "", 1, ttl.len, stdout);
  }
  goto cleanup;

oom:
  rc = hv_error_oom(err);
cleanup:
  json_decref(doc);
  json_decref(arr);
  json_decref(rej);
  hv_buf_fini(&ttl);
  return rc;
}

static int load_profile(const validate_args *a, hv_profile **out,
                        hv_error *err)
{
  const char *dir = hv_assess_profiles_dir(a->profiles_dir);
  char tables[HV_SHA256_HEX_LEN + 1], digest[HV_SHA256_HEX_LEN + 1];
  hv_profile *base = NULL;
  int rc;

  if ((rc = hv_assess_load_tables(&base, tables, dir, err)) < 0)
    return rc;
  if (!a->source_conf) {
    *out = base;
    return 0;
  }
  hv_profile_free(base);
  return hv_assess_load_source(out, digest, dir, tables, a->source_conf,
                               NULL, err);
}

int hv__cli_validate(cli_ctx *ctx, int argc, char **argv)
{
  static const struct option opts[] = {
      {"profiles", required_argument, NULL, 'p'},
      {"source-conf", required_argument, NULL, 'c'},
      {"format", required_argument, NULL, 'f'},
      {"json", no_argument, NULL, 'j'},
      {"mapped", no_argument, NULL, 'm'},
      {"allow-loopback", no_argument, NULL, 'L'},
      {"allow-private", no_argument, NULL, 'R'},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0}};
  hv_fetch_opts fdefaults = HV_FETCH_OPTS_INIT;
  validate_args a;
  document doc;
  hv_page page;
  hv_profile *profile = NULL;
  hv_error err = HV_ERROR_INIT;
  totals tot;
  int c, rc;

  memset(&a, 0, sizeof(a));
  memset(&doc, 0, sizeof(doc));
  memset(&page, 0, sizeof(page));
  memset(&tot, 0, sizeof(tot));
  a.profiles_dir = ctx->profiles_dir;
  a.fetch = fdefaults;
  optind = 0;
  while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    switch (c) {
    case 'p': a.profiles_dir = optarg; break;
    case 'c': a.source_conf = optarg; break;
    case 'f':
      if (strcmp(optarg, "rdfxml") != 0 && strcmp(optarg, "turtle") != 0 &&
          strcmp(optarg, "ntriples") != 0)
        return hv__cli_usage_error(validate_usage,
                                   "--format: rdfxml, turtle or ntriples: %s",
                                   optarg);
      a.format = optarg;
      break;
    case 'j': a.json = 1; break;
    case 'm': a.mapped = 1; break;
    case 'L': a.fetch.allow_loopback = 1; break;
    case 'R': a.fetch.allow_private = 1; break;
    case 'h': fputs(validate_usage, stdout); return HV_EXIT_OK;
    default:
      return hv__cli_usage_error(validate_usage, "bad option for validate");
    }
  }
  if (optind + 1 != argc)
    return hv__cli_usage_error(validate_usage,
                               "validate needs exactly one FILE or URL");
  a.target = argv[optind];

  if ((rc = load_profile(&a, &profile, &err)) < 0) {
    fprintf(stderr, "govharvest: validate: profile: %s\n", err.msg);
    rc = HV_EXIT_FAILURE;
    goto cleanup;
  }
  if (strncmp(a.target, "http://", 7) == 0 ||
      strncmp(a.target, "https://", 8) == 0)
    rc = fetch_document(&doc, a.target, &a.fetch);
  else
    rc = read_document(&doc, a.target, a.fetch.max_body);
  if (rc < 0) {
    fprintf(stderr, "govharvest: validate: %s\n", doc.err.msg);
    rc = HV_EXIT_FAILURE;
    goto cleanup;
  }
  if (hv_page_decode(&page, doc.body, doc.len, doc.content_type, a.format,
                     doc.base, &err) < 0) {
    fprintf(stderr, "govharvest: validate: %s: cannot decode: %s\n",
            a.target, err.msg);
    rc = HV_EXIT_FAILURE;
    goto cleanup;
  }
  if (report_page(&a, profile, &page, &tot, &err) < 0) {
    fprintf(stderr, "govharvest: validate: %s: %s\n", a.target, err.msg);
    rc = HV_EXIT_FAILURE;
    goto cleanup;
  }
  rc = tot.violations || page.n_rejected ? HV_EXIT_FAILURE : HV_EXIT_OK;

cleanup:
  hv_page_fini(&page);
  document_fini(&doc);
  hv_profile_free(profile);
  return rc;
}
