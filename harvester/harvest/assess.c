/*
 * Assessing one dataset and loading the profiles it is assessed with
 * (see assess.h). The digest of a profile is taken over the bytes of the
 * files it was loaded from, not over the loaded tables: cheaper, and any
 * edit of a table, even a comment, makes the harvest decode pages again,
 * which is the safe side.
 */
#include "harvest/assess.h"

#include <dirent.h>
#include <nettle/sha2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check/check.h"
#include "decode/page.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/file.h"

/* Same prefix as decode/page.c uses for blank-node datasets' keys. */
#define KEY_PREFIX "urn:govharvest:identifier:"

/* Largest table or source file read for the digest. */
#define MAX_PROFILE_FILE ((size_t)16 << 20)

#ifndef HV_PROFILES_DIR
#define HV_PROFILES_DIR "profiles"
#endif

const char *hv_assess_profiles_dir(const char *option)
{
  const char *env = getenv("GOVHARVEST_PROFILES");

  if (option)
    return option;
  if (env && *env)
    return env;
  return HV_PROFILES_DIR;
}

static void digest_hex(struct sha256_ctx *ctx,
                       char out[HV_SHA256_HEX_LEN + 1])
{
  static const char hex[] = "0123456789abcdef";
  uint8_t d[SHA256_DIGEST_SIZE];
  size_t i;

  sha256_digest(ctx, sizeof(d), d);
  for (i = 0; i < sizeof(d); i++) {
    out[2 * i] = hex[d[i] >> 4];
    out[2 * i + 1] = hex[d[i] & 15];
  }
  out[HV_SHA256_HEX_LEN] = '\0';
}

/* Feeds a string and its terminating NUL, so that fields cannot run
 * into each other. */
static void digest_str(struct sha256_ctx *ctx, const char *s)
{
  if (!s)
    s = "";
  sha256_update(ctx, strlen(s) + 1, (const uint8_t *)s);
}

static int cmp_names(const void *a, const void *b)
{
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Digest of every *.tsv file in dir, by name order. */
static int tables_digest(const char *dir, char out[HV_SHA256_HEX_LEN + 1],
                         hv_error *err)
{
  struct sha256_ctx ctx;
  DIR *d = NULL;
  struct dirent *e;
  char **names = NULL, **grown;
  size_t n = 0, cap = 0, i, len;
  hv_buf path = HV_BUF_INIT(4096), content = HV_BUF_INIT(MAX_PROFILE_FILE);
  int rc = 0;

  if (!(d = opendir(dir))) {
    rc = hv_error_set(err, HV_EIO, "profile directory %s: cannot open it",
                      dir);
    goto cleanup;
  }
  while ((e = readdir(d))) {
    len = strlen(e->d_name);
    if (len < 5 || strcmp(e->d_name + len - 4, ".tsv") != 0)
      continue;
    if (n == cap) {
      cap = cap ? 2 * cap : 16;
      if (!(grown = hv_realloc(names, cap * sizeof(*names)))) {
        rc = hv_error_oom(err);
        goto cleanup;
      }
      names = grown;
    }
    if (!(names[n] = hv_strdup(e->d_name))) {
      rc = hv_error_oom(err);
      goto cleanup;
    }
    n++;
  }
  if (n)
    qsort(names, n, sizeof(*names), cmp_names);
  sha256_init(&ctx);
  for (i = 0; i < n; i++) {
    hv_buf_reset(&path);
    hv_buf_reset(&content);
    if ((rc = hv_buf_addf(&path, "%s/%s", dir, names[i])) < 0) {
      rc = hv_error_set(err, rc, "profile path %s/%s: %s", dir, names[i],
                        hv_strerror(rc));
      goto cleanup;
    }
    if ((rc = hv_file_read(path.ptr, &content, err)) < 0)
      goto cleanup;
    digest_str(&ctx, names[i]);
    sha256_update(&ctx, content.len, (const uint8_t *)content.ptr);
  }
  digest_hex(&ctx, out);

cleanup:
  if (d)
    closedir(d);
  for (i = 0; i < n; i++)
    hv_free(names[i]);
  hv_free(names);
  hv_buf_fini(&path);
  hv_buf_fini(&content);
  return rc;
}

int hv_assess_load_tables(hv_profile **out,
                          char digest[HV_SHA256_HEX_LEN + 1],
                          const char *dir, hv_error *err)
{
  hv_buf tables = HV_BUF_INIT(4096);
  hv_profile *p = NULL;
  int rc;

  if ((rc = hv_buf_addf(&tables, "%s/%s", dir, HV_ASSESS_TABLES)) < 0) {
    rc = hv_error_set(err, rc, "profile directory %s: %s", dir,
                      hv_strerror(rc));
    goto cleanup;
  }
  if ((rc = tables_digest(tables.ptr, digest, err)) < 0 ||
      (rc = hv_profile_new(&p, tables.ptr, err)) < 0)
    goto cleanup;
  *out = p;
  p = NULL;

cleanup:
  hv_profile_free(p);
  hv_buf_fini(&tables);
  return rc;
}

void hv_assess_digest(char digest[HV_SHA256_HEX_LEN + 1],
                      const char *tables_digest_hex, const char *extra)
{
  struct sha256_ctx ctx;

  sha256_init(&ctx);
  digest_str(&ctx, tables_digest_hex);
  digest_str(&ctx, ""); /* no source file */
  digest_str(&ctx, extra);
  digest_hex(&ctx, digest);
}

int hv_assess_load_source(hv_profile **out,
                          char digest[HV_SHA256_HEX_LEN + 1],
                          const char *dir, const char *tables_digest_hex,
                          const char *conf_path, const char *extra,
                          hv_error *err)
{
  struct sha256_ctx ctx;
  hv_buf conf = HV_BUF_INIT(MAX_PROFILE_FILE);
  hv_profile *p = NULL;
  char ignored[HV_SHA256_HEX_LEN + 1];
  int rc;

  if ((rc = hv_file_read(conf_path, &conf, err)) < 0 ||
      (rc = hv_assess_load_tables(&p, ignored, dir, err)) < 0 ||
      (rc = hv_profile_load_source(p, conf_path, err)) < 0)
    goto cleanup;
  sha256_init(&ctx);
  digest_str(&ctx, tables_digest_hex);
  /* A file that is present but empty must differ from no file. */
  digest_str(&ctx, "source file");
  sha256_update(&ctx, conf.len, (const uint8_t *)conf.ptr);
  digest_str(&ctx, extra);
  digest_hex(&ctx, digest);
  *out = p;
  p = NULL;

cleanup:
  hv_profile_free(p);
  hv_buf_fini(&conf);
  return rc;
}

/* The check reads what the sinks will get: the mapped graph. */
static int check_mapped(const hv_profile *p, const char *dataset_iri,
                        hv_graph *out, hv_findings *findings, size_t before,
                        hv_error *err)
{
  int rc;

  if ((rc = hv_check_dataset(p, out, dataset_iri, findings, err)) < 0) {
    hv_findings_truncate(findings, before);
    hv_graph_fini(out);
  }
  return rc;
}

int hv_assess_dataset(const hv_profile *p, const hv_map_opts *opts,
                      const hv_graph *in, const char *dataset_iri,
                      hv_graph *out, hv_findings *findings, hv_error *err)
{
  size_t before = findings->len;
  int rc;

  if ((rc = hv_map_dataset(p, opts, in, dataset_iri, out, findings, err)) < 0)
    return rc;
  return check_mapped(p, dataset_iri, out, findings, before, err);
}

int hv_assess_dataset_take(const hv_profile *p, const hv_map_opts *opts,
                           hv_graph *in, const char *dataset_iri,
                           hv_graph *out, hv_findings *findings,
                           hv_error *err)
{
  size_t before = findings->len;
  int rc;

  if ((rc = hv_map_dataset_take(p, opts, in, dataset_iri, out, findings,
                                err)) < 0)
    return rc;
  return check_mapped(p, dataset_iri, out, findings, before, err);
}

static int is_iri(const hv_term *t, const char *iri)
{
  return t->kind == HV_TERM_IRI && strcmp(t->value, iri) == 0;
}

/* The dataset node of g: dataset_iri, else the first subject typed
 * dcat:Dataset, else the first subject (split puts the root first). */
static const hv_term *find_node(const hv_graph *g, const char *dataset_iri)
{
  size_t i;

  for (i = 0; i < g->len; i++) {
    const hv_quad *q = &g->quads[i];
    if (dataset_iri) {
      if (q->s.kind == HV_TERM_IRI && strcmp(q->s.value, dataset_iri) == 0)
        return &q->s;
    } else if (is_iri(&q->p, HV_RDF "type") &&
               is_iri(&q->o, HV_DCAT "Dataset")) {
      return &q->s;
    }
  }
  return g->len && !dataset_iri ? &g->quads[0].s : NULL;
}

static int dup_first(char **out, const char *s)
{
  if (*out || !s)
    return 0;
  return (*out = hv_strdup(s)) ? 0 : HV_ENOMEM;
}

int hv_assess_describe(const hv_profile *p, const hv_graph *g,
                       const char *dataset_iri, const hv_findings *findings,
                       size_t from, hv_assess_info *out, hv_error *err)
{
  hv_assess_info info;
  const hv_term *node;
  size_t i;
  int rc = 0;

  memset(&info, 0, sizeof(info));
  node = find_node(g, dataset_iri);
  for (i = 0; node && i < g->len && rc == 0; i++) {
    const hv_quad *q = &g->quads[i];
    if (!hv_term_equal(&q->s, node))
      continue;
    if (is_iri(&q->p, HV_DCT "identifier") && q->o.kind == HV_TERM_LITERAL)
      rc = dup_first(&info.identifier, q->o.value);
    else if (is_iri(&q->p, HV_DCT "modified") &&
             q->o.kind == HV_TERM_LITERAL)
      rc = dup_first(&info.modified, q->o.value);
    else if (is_iri(&q->p, HV_DCAT "distribution"))
      info.distributions++;
  }
  if (rc < 0) {
    rc = hv_error_oom(err);
    goto cleanup;
  }
  if (node && node->kind == HV_TERM_IRI) {
    if (!(info.uri = hv_strdup(node->value)) ||
        !(info.key = hv_strdup(node->value))) {
      rc = hv_error_oom(err);
      goto cleanup;
    }
  } else if (info.identifier && info.identifier[0]) {
    size_t n = strlen(KEY_PREFIX) + strlen(info.identifier) + 1;
    if (!(info.key = hv_malloc(n))) {
      rc = hv_error_oom(err);
      goto cleanup;
    }
    snprintf(info.key, n, "%s%s", KEY_PREFIX, info.identifier);
  } else {
    rc = hv_error_set(err, HV_EINVAL,
                      "dataset %s%s has no IRI and no dct:identifier after "
                      "mapping",
                      node ? "_:" : "", node ? node->value : "(not found)");
    goto cleanup;
  }
  for (i = from; findings && i < findings->len; i++) {
    if (findings->items[i].severity == HV_SEVERITY_VIOLATION)
      info.violations++;
    else if (findings->items[i].severity == HV_SEVERITY_WARNING)
      info.warnings++;
  }
  /* hv_map_state reads IRI-named datasets only; a blank-node dataset
   * is reported under its source's registered state. */
  info.state = info.uri ? hv_map_state(p, g, info.uri) : NULL;
  *out = info;
  memset(&info, 0, sizeof(info));

cleanup:
  hv_assess_info_fini(&info);
  return rc;
}

void hv_assess_info_fini(hv_assess_info *info)
{
  if (!info)
    return;
  hv_free(info->key);
  hv_free(info->uri);
  hv_free(info->identifier);
  hv_free(info->modified);
  memset(info, 0, sizeof(*info));
}
