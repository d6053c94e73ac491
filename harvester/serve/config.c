/*
 * The daemon's configuration file (format in serve.h): "key = value"
 * lines read over the defaults. Every mistake names the file and line,
 * because an operator editing it on a server has nothing else to go by,
 * and a reload (SIGHUP) with a mistake must keep the old settings.
 */
#include "serve/serve.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/alloc.h"
#include "util/buf.h"
#include "util/file.h"

#define CONFIG_MAX ((size_t)1 << 20)

int hv_serve_config_defaults(hv_serve_config *cfg, hv_error *err)
{
  memset(cfg, 0, sizeof(*cfg));
  cfg->listen_port = 8080;
  cfg->jitter_seconds = 300;
  cfg->max_concurrent_runs = 4;
  cfg->max_request_body = 65536;
  cfg->connection_timeout = 10;
  cfg->api_threads = 4;
  cfg->max_pages = 10000;
  cfg->max_body = (size_t)64 << 20;
  cfg->catalog_page_size = 100;
  if (!(cfg->db_path = hv_strdup("govharvest.db")) ||
      !(cfg->listen_host = hv_strdup("127.0.0.1")) ||
      !(cfg->default_cron = hv_strdup("0 3 * * *"))) {
    hv_serve_config_fini(cfg);
    return hv_error_oom(err);
  }
  return 0;
}

void hv_serve_config_fini(hv_serve_config *cfg)
{
  size_t i;

  if (!cfg)
    return;
  hv_free(cfg->db_path);
  hv_free(cfg->listen_host);
  hv_free(cfg->default_cron);
  hv_free(cfg->profiles_dir);
  hv_free(cfg->catalog_base);
  hv_free(cfg->sinks_path);
  for (i = 0; i < cfg->n_schedules; i++) {
    hv_free(cfg->schedules[i].source);
    hv_free(cfg->schedules[i].cron);
  }
  hv_free(cfg->schedules);
  memset(cfg, 0, sizeof(*cfg));
}

const char *hv_serve_config_schedule(const hv_serve_config *cfg,
                                     const char *name)
{
  size_t i;

  for (i = 0; i < cfg->n_schedules; i++) {
    if (strcmp(cfg->schedules[i].source, name) == 0)
      return cfg->schedules[i].cron;
  }
  return NULL;
}

/* Parses a decimal integer in [min, max]; returns 0 or -1. */
static int parse_int(const char *s, long long min, long long max,
                     long long *out)
{
  char *end;
  long long v;

  if (!*s)
    return -1;
  errno = 0;
  v = strtoll(s, &end, 10);
  if (errno || *end || v < min || v > max)
    return -1;
  *out = v;
  return 0;
}

static int parse_bool(const char *s, int *out)
{
  if (!strcasecmp(s, "yes") || !strcasecmp(s, "true") || !strcmp(s, "1") ||
      !strcasecmp(s, "on")) {
    *out = 1;
    return 0;
  }
  if (!strcasecmp(s, "no") || !strcasecmp(s, "false") || !strcmp(s, "0") ||
      !strcasecmp(s, "off")) {
    *out = 0;
    return 0;
  }
  return -1;
}

/* Replaces *slot with a copy of value. */
static int set_str(char **slot, const char *value, hv_error *err)
{
  char *copy = hv_strdup(value);

  if (!copy)
    return hv_error_oom(err);
  hv_free(*slot);
  *slot = copy;
  return 0;
}

/* Splits "host:port" or "[v6]:port"; HV_EINVAL when it is neither. */
static int parse_listen(hv_serve_config *cfg, const char *v, hv_error *err)
{
  const char *colon, *host = v;
  size_t host_len;
  long long port;
  char *copy;

  if (*v == '[') {
    const char *close = strchr(v, ']');
    if (!close || close[1] != ':')
      return HV_EINVAL;
    host = v + 1;
    host_len = (size_t)(close - host);
    colon = close + 1;
  } else {
    if (!(colon = strrchr(v, ':')))
      return HV_EINVAL;
    host_len = (size_t)(colon - v);
  }
  if (host_len == 0 || parse_int(colon + 1, 0, 65535, &port) < 0)
    return HV_EINVAL;
  if (!(copy = hv_strndup(host, host_len)))
    return hv_error_oom(err);
  hv_free(cfg->listen_host);
  cfg->listen_host = copy;
  cfg->listen_port = (uint16_t)port;
  return 0;
}

static int add_schedule(hv_serve_config *cfg, const char *name,
                        const char *cron, hv_error *err)
{
  hv_serve_schedule *grown;
  char *n = NULL, *c = NULL;

  grown = hv_realloc(cfg->schedules,
                     (cfg->n_schedules + 1) * sizeof(*cfg->schedules));
  if (!grown)
    return hv_error_oom(err);
  cfg->schedules = grown;
  if (!(n = hv_strdup(name)) || !(c = hv_strdup(cron))) {
    hv_free(n);
    return hv_error_oom(err);
  }
  cfg->schedules[cfg->n_schedules].source = n;
  cfg->schedules[cfg->n_schedules].cron = c;
  cfg->n_schedules++;
  return 0;
}

/* Applies one "key = value" line to cfg. */
static int apply(hv_serve_config *cfg, const char *path, int line,
                 const char *key, const char *v, hv_error *err)
{
  hv_cron cron;
  hv_error cerr = HV_ERROR_INIT;
  long long n;
  int b;

#define BAD(...)                                                            \
  do {                                                                      \
    char why_[HV_ERROR_MSG_MAX - 64];                                       \
    snprintf(why_, sizeof(why_), __VA_ARGS__);                              \
    return hv_error_set(err, HV_EPARSE, "%s:%d: %s", path, line, why_);    \
  } while (0)
#define INT(field, lo, hi)                                                  \
  do {                                                                      \
    if (parse_int(v, lo, hi, &n) < 0)                                       \
      BAD("%s must be a whole number in %lld..%lld, not '%.60s'", key,     \
          (long long)(lo), (long long)(hi), v);                             \
    field = n;                                                              \
  } while (0)
#define BOOL(field)                                                         \
  do {                                                                      \
    if (parse_bool(v, &b) < 0)                                              \
      BAD("%s must be yes or no, not '%.60s'", key, v);                    \
    field = b;                                                              \
  } while (0)

  if (!*v)
    BAD("%s has no value", key);
  if (strcmp(key, "db") == 0)
    return set_str(&cfg->db_path, v, err);
  if (strcmp(key, "listen") == 0) {
    int rc = parse_listen(cfg, v, err);
    if (rc == HV_ENOMEM)
      return rc;
    if (rc == HV_EINVAL)
      BAD("listen must be ADDRESS:PORT (e.g. 127.0.0.1:8080), not '%.60s'",
          v);
    return 0;
  }
  if (strcmp(key, "schedule") == 0 || strncmp(key, "schedule.", 9) == 0) {
    if (hv_cron_parse(&cron, v, &cerr) < 0)
      BAD("%.300s", cerr.msg);
    if (key[8] == '\0')
      return set_str(&cfg->default_cron, v, err);
    if (!key[9])
      BAD("schedule. needs a source name (schedule.NAME = CRON)");
    if (hv_serve_config_schedule(cfg, key + 9))
      BAD("source '%.64s' has a second schedule line", key + 9);
    return add_schedule(cfg, key + 9, v, err);
  }
  if (strcmp(key, "jitter") == 0) {
    INT(cfg->jitter_seconds, 0, 86400);
    return 0;
  }
  if (strcmp(key, "max_concurrent_runs") == 0) {
    INT(cfg->max_concurrent_runs, 1, 256);
    return 0;
  }
  if (strcmp(key, "max_request_body") == 0) {
    INT(cfg->max_request_body, 1024, 16 << 20);
    return 0;
  }
  if (strcmp(key, "connection_timeout") == 0) {
    INT(cfg->connection_timeout, 1, 3600);
    return 0;
  }
  if (strcmp(key, "api_threads") == 0) {
    INT(cfg->api_threads, 1, 64);
    return 0;
  }
  if (strcmp(key, "allow_loopback") == 0) {
    BOOL(cfg->allow_loopback);
    return 0;
  }
  if (strcmp(key, "allow_private") == 0) {
    BOOL(cfg->allow_private);
    return 0;
  }
  if (strcmp(key, "max_pages") == 0) {
    INT(cfg->max_pages, 1, 1000000);
    return 0;
  }
  if (strcmp(key, "max_body") == 0) {
    INT(cfg->max_body, 1024, 1LL << 32);
    return 0;
  }
  if (strcmp(key, "profiles") == 0)
    return set_str(&cfg->profiles_dir, v, err);
  if (strcmp(key, "catalog") == 0) {
    BOOL(cfg->catalog);
    return 0;
  }
  if (strcmp(key, "catalog_page_size") == 0) {
    INT(cfg->catalog_page_size, 1, 10000);
    return 0;
  }
  if (strcmp(key, "catalog_base") == 0) {
    if (strncmp(v, "http://", 7) != 0 && strncmp(v, "https://", 8) != 0)
      BAD("catalog_base must be an http(s) URL, not '%.60s'", v);
    return set_str(&cfg->catalog_base, v, err);
  }
  if (strcmp(key, "sinks") == 0)
    return set_str(&cfg->sinks_path, v, err);
  BAD("unknown setting '%.60s'", key);
#undef BAD
#undef INT
#undef BOOL
}

/* Trims ASCII white space at both ends of s in place; returns s. */
static char *trim(char *s)
{
  size_t n;

  while (isspace((unsigned char)*s))
    s++;
  n = strlen(s);
  while (n && isspace((unsigned char)s[n - 1]))
    s[--n] = '\0';
  return s;
}

int hv_serve_config_load(hv_serve_config *cfg, const char *path,
                         hv_error *err)
{
  hv_buf b = HV_BUF_INIT(CONFIG_MAX);
  hv_serve_config tmp;
  char *p, *next;
  int rc, line = 0;

  if ((rc = hv_serve_config_defaults(&tmp, err)) < 0)
    return rc;
  if ((rc = hv_file_read(path, &b, err)) < 0)
    goto cleanup;
  for (p = b.ptr; p && *p; p = next) {
    char *eq, *hash, *key, *value;

    line++;
    if ((next = strchr(p, '\n')))
      *next++ = '\0';
    else
      next = p + strlen(p);
    /* '#' starts a comment anywhere; no setting needs the character. */
    if ((hash = strchr(p, '#')))
      *hash = '\0';
    p = trim(p);
    if (!*p)
      continue;
    if (!(eq = strchr(p, '='))) {
      rc = hv_error_set(err, HV_EPARSE,
                        "%s:%d: expected 'key = value', got '%.60s'", path,
                        line, p);
      goto cleanup;
    }
    *eq = '\0';
    key = trim(p);
    value = trim(eq + 1);
    if (!*key) {
      rc = hv_error_set(err, HV_EPARSE, "%s:%d: a line has no key before "
                        "'='", path, line);
      goto cleanup;
    }
    if ((rc = apply(&tmp, path, line, key, value, err)) < 0)
      goto cleanup;
  }
  *cfg = tmp;
  memset(&tmp, 0, sizeof(tmp));

cleanup:
  hv_serve_config_fini(&tmp);
  hv_buf_fini(&b);
  return rc;
}
