/*
 * The sink configuration file and the generic half of a sink (see
 * sink.h): sections, settings, secrets, and opening a sink by type.
 *
 * The format is INI-like (sinks/README.md): "[sink NAME]" opens a
 * section, "key = value" lines set its settings, "#" or ";" start a
 * comment line. The parser knows only the grammar and the names; which
 * keys a sink understands is checked by that sink's open, against the
 * line numbers kept here, so every message reads "file:line: reason".
 */
#include "sinks/sink.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/alloc.h"
#include "util/file.h"

#define MAX_CONF ((size_t)1 << 20)
#define MAX_SECRET 4096

static const hv_sink_type *const types[] = {&hv_sink_files,
                                            &hv_sink_graphstore,
                                            &hv_sink_ckan};

const hv_sink_type *hv_sink_type_find(const char *name)
{
  size_t i;

  for (i = 0; name && i < sizeof(types) / sizeof(types[0]); i++)
    if (strcmp(types[i]->name, name) == 0)
      return types[i];
  return NULL;
}

static void conf_fini(hv_sink_conf *c)
{
  size_t i;

  hv_free(c->name);
  hv_free(c->type);
  hv_free(c->path);
  for (i = 0; i < c->n_settings; i++) {
    hv_free(c->settings[i].key);
    hv_free(c->settings[i].value);
  }
  hv_free(c->settings);
}

void hv_sink_confs_free(hv_sink_conf *confs, size_t n)
{
  size_t i;

  if (!confs)
    return;
  for (i = 0; i < n; i++)
    conf_fini(&confs[i]);
  hv_free(confs);
}

const char *hv_sink_conf_get(const hv_sink_conf *c, const char *key)
{
  size_t i;

  /* The last assignment wins, as in most INI readers. */
  for (i = c->n_settings; i-- > 0;)
    if (strcmp(c->settings[i].key, key) == 0)
      return c->settings[i].value;
  return NULL;
}

static const hv_sink_setting *find_setting(const hv_sink_conf *c,
                                           const char *key)
{
  size_t i;

  for (i = c->n_settings; i-- > 0;)
    if (strcmp(c->settings[i].key, key) == 0)
      return &c->settings[i];
  return NULL;
}

int hv_sink_conf_int(const hv_sink_conf *c, const char *key, long min,
                     long max, long *out, hv_error *err)
{
  const hv_sink_setting *s = find_setting(c, key);
  char *end;
  long v;

  if (!s)
    return 0;
  errno = 0;
  v = strtol(s->value, &end, 10);
  if (errno || end == s->value || *end || v < min || v > max)
    return hv_error_set(err, HV_EINVAL,
                        "%s:%d: %s must be an integer in %ld..%ld, not '%s'",
                        c->path, s->line, key, min, max, s->value);
  *out = v;
  return 0;
}

static char *trim(char *s)
{
  char *e;

  while (*s == ' ' || *s == '\t')
    s++;
  e = s + strlen(s);
  while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
    *--e = '\0';
  return s;
}

static int name_valid(const char *s)
{
  size_t n = strlen(s), i;

  if (n == 0 || n > 64)
    return 0;
  for (i = 0; i < n; i++)
    if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
          (s[i] >= '0' && s[i] <= '9') || s[i] == '.' || s[i] == '_' ||
          s[i] == '-'))
      return 0;
  return 1;
}

/* Checks that the last section has a known type. */
static int section_check(const hv_sink_conf *c, hv_error *err)
{
  const hv_sink_setting *t = find_setting(c, "type");

  if (!t)
    return hv_error_set(err, HV_EINVAL, "%s:%d: sink %s has no type",
                        c->path, c->line, c->name);
  if (!hv_sink_type_find(t->value))
    return hv_error_set(err, HV_EINVAL,
                        "%s:%d: unknown sink type '%s' (files, graphstore "
                        "or ckan)",
                        c->path, t->line, t->value);
  return 0;
}

static int add_setting(hv_sink_conf *c, const char *key, const char *value,
                       int line, hv_error *err)
{
  hv_sink_setting *grown;

  if (!(grown = hv_realloc(c->settings,
                           (c->n_settings + 1) * sizeof(*c->settings))))
    return hv_error_oom(err);
  c->settings = grown;
  grown[c->n_settings].key = hv_strdup(key);
  grown[c->n_settings].value = hv_strdup(value);
  grown[c->n_settings].line = line;
  c->n_settings++;
  if (!grown[c->n_settings - 1].key || !grown[c->n_settings - 1].value)
    return hv_error_oom(err);
  return 0;
}

int hv_sink_conf_parse(const char *text, const char *path, hv_sink_conf **out,
                       size_t *n_out, hv_error *err)
{
  hv_sink_conf *confs = NULL, *grown, *cur = NULL;
  size_t n = 0, i;
  char *copy = hv_strdup(text), *line, *next, *eq, *key, *value;
  int lineno = 0, rc = 0;

  if (!copy)
    return hv_error_oom(err);
  for (line = copy; line && rc == 0; line = next) {
    lineno++;
    if ((next = strchr(line, '\n')))
      *next++ = '\0';
    line = trim(line);
    if (!*line || *line == '#' || *line == ';')
      continue;
    if (*line == '[') {
      char *close = strchr(line, ']'), *name;

      if (!close || trim(close + 1)[0] != '\0') {
        rc = hv_error_set(err, HV_EINVAL, "%s:%d: section header must be "
                          "[sink NAME]", path, lineno);
        break;
      }
      *close = '\0';
      name = trim(line + 1);
      if (strncmp(name, "sink", 4) != 0 ||
          (name[4] != ' ' && name[4] != '\t')) {
        rc = hv_error_set(err, HV_EINVAL, "%s:%d: unknown section [%s]; "
                          "expected [sink NAME]", path, lineno, name);
        break;
      }
      name = trim(name + 4);
      if (!name_valid(name)) {
        rc = hv_error_set(err, HV_EINVAL, "%s:%d: sink name '%s' must be 1..64 "
                          "of [A-Za-z0-9._-]", path, lineno, name);
        break;
      }
      for (i = 0; i < n; i++)
        if (strcmp(confs[i].name, name) == 0)
          break;
      if (i < n) {
        rc = hv_error_set(err, HV_EINVAL, "%s:%d: sink %s already defined on "
                          "line %d", path, lineno, name, confs[i].line);
        break;
      }
      if (cur && (rc = section_check(cur, err)) < 0)
        break;
      if (!(grown = hv_realloc(confs, (n + 1) * sizeof(*confs)))) {
        rc = hv_error_oom(err);
        break;
      }
      confs = grown;
      cur = &confs[n++];
      memset(cur, 0, sizeof(*cur));
      cur->line = lineno;
      if (!(cur->name = hv_strdup(name)) || !(cur->path = hv_strdup(path)))
        rc = hv_error_oom(err);
      continue;
    }
    if (!(eq = strchr(line, '='))) {
      rc = hv_error_set(err, HV_EINVAL, "%s:%d: expected 'key = value'", path,
                        lineno);
      break;
    }
    *eq = '\0';
    key = trim(line);
    value = trim(eq + 1);
    if (!cur) {
      rc = hv_error_set(err, HV_EINVAL, "%s:%d: setting '%s' outside a "
                        "[sink NAME] section", path, lineno, key);
      break;
    }
    if (!*key) {
      rc = hv_error_set(err, HV_EINVAL, "%s:%d: empty key", path, lineno);
      break;
    }
    /* A credential in a file anyone may read ends up in backups and
     * tickets; only a reference to where it lives is accepted. */
    if (strcmp(key, "password") == 0 || strcmp(key, "token") == 0) {
      rc = hv_error_set(err, HV_EINVAL, "%s:%d: do not write the %s here; "
                        "use %s_env or %s_file", path, lineno, key, key, key);
      break;
    }
    if ((rc = add_setting(cur, key, value, lineno, err)) < 0)
      break;
    if (strcmp(key, "type") == 0) {
      hv_free(cur->type);
      if (!(cur->type = hv_strdup(value)))
        rc = hv_error_oom(err);
    }
  }
  if (rc == 0 && cur)
    rc = section_check(cur, err);
  hv_free(copy);
  if (rc < 0) {
    hv_sink_confs_free(confs, n);
    return rc;
  }
  *out = confs;
  *n_out = n;
  return 0;
}

int hv_sink_conf_load(const char *path, hv_sink_conf **out, size_t *n_out,
                      hv_error *err)
{
  hv_buf b = HV_BUF_INIT(MAX_CONF);
  int rc;

  if ((rc = hv_file_read(path, &b, err)) == 0)
    rc = hv_sink_conf_parse(b.ptr ? b.ptr : "", path, out, n_out, err);
  hv_buf_fini(&b);
  return rc;
}

void hv_sink_secret_free(char *secret)
{
  volatile char *p = secret;

  if (!secret)
    return;
  while (*p)
    *p++ = '\0';
  hv_free(secret);
}

/* Reads the secret file at path after checking who may read it. */
static int read_secret_file(const hv_sink_conf *c, const hv_sink_setting *s,
                            char **out, hv_error *err)
{
  char buf[MAX_SECRET + 1];
  struct stat st;
  ssize_t got;
  size_t len = 0;
  int fd, rc = 0;

  if ((fd = open(s->value, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
    return hv_error_set(err, HV_EIO, "%s:%d: cannot open %s: %s", c->path,
                        s->line, s->value, strerror(errno));
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    rc = hv_error_set(err, HV_EINVAL, "%s:%d: %s is not a regular file",
                      c->path, s->line, s->value);
    goto cleanup;
  }
  if ((st.st_mode & 077) != 0 || st.st_uid != geteuid()) {
    rc = hv_error_set(err, HV_EINVAL,
                      "%s:%d: %s must be owned by this user with mode 0600 "
                      "(it is %04o)",
                      c->path, s->line, s->value,
                      (unsigned)(st.st_mode & 07777));
    goto cleanup;
  }
  while (len < MAX_SECRET &&
         (got = read(fd, buf + len, MAX_SECRET - len)) > 0)
    len += (size_t)got;
  /* A trailing newline is how editors end files, not part of it. */
  while (len && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
    len--;
  buf[len] = '\0';
  if (len == 0) {
    rc = hv_error_set(err, HV_EINVAL, "%s:%d: %s is empty", c->path, s->line,
                      s->value);
    goto cleanup;
  }
  if (!(*out = hv_strdup(buf)))
    rc = hv_error_oom(err);

cleanup:
  memset(buf, 0, sizeof(buf));
  close(fd);
  return rc;
}

int hv_sink_conf_secret(const hv_sink_conf *c, const char *what, char **out,
                        hv_error *err)
{
  char key[64];
  const hv_sink_setting *env, *file;
  const char *v;

  *out = NULL;
  snprintf(key, sizeof(key), "%s_env", what);
  env = find_setting(c, key);
  snprintf(key, sizeof(key), "%s_file", what);
  file = find_setting(c, key);
  if (env && file)
    return hv_error_set(err, HV_EINVAL, "%s:%d: set %s_env or %s_file, not "
                        "both", c->path, file->line, what, what);
  if (env) {
    if (!(v = getenv(env->value)) || !*v)
      return hv_error_set(err, HV_EINVAL,
                          "%s:%d: environment variable %s (the %s of sink %s) "
                          "is not set",
                          c->path, env->line, env->value, what, c->name);
    if (!(*out = hv_strdup(v)))
      return hv_error_oom(err);
    return 0;
  }
  if (file)
    return read_secret_file(c, file, out, err);
  return 0;
}

/* ---- sinks by type ------------------------------------------------------ */

int hv_sink_open(hv_sink **out, const hv_sink_conf *conf,
                 const hv_sink_env *env, hv_error *err)
{
  const hv_sink_type *t = hv_sink_type_find(conf->type);
  hv_sink *s;
  int rc;

  if (!t)
    return hv_error_set(err, HV_EINVAL, "%s:%d: sink %s: unknown type '%s'",
                        conf->path, conf->line, conf->name,
                        conf->type ? conf->type : "");
  if (!(s = hv_calloc(1, sizeof(*s))) || !(s->name = hv_strdup(conf->name))) {
    hv_free(s);
    return hv_error_oom(err);
  }
  s->type = t;
  s->env = *env;
  if ((rc = t->open(s, conf, env, err)) < 0) {
    hv_free(s->name);
    hv_free(s);
    return rc;
  }
  *out = s;
  return 0;
}

void hv_sink_close(hv_sink *s)
{
  if (s && s->impl) {
    s->type->close(s);
    s->impl = NULL;
  }
}

void hv_sink_free(hv_sink *s)
{
  if (!s)
    return;
  hv_sink_close(s);
  hv_free(s->name);
  hv_free(s);
}

int hv_sink_conf_withhold(const hv_sink_conf *c, int *out, hv_error *err)
{
  const char *v = hv_sink_conf_get(c, "violations");
  size_t i;

  *out = 0;
  if (!v || strcmp(v, "publish") == 0)
    return 0;
  if (strcmp(v, "withhold") == 0) {
    *out = 1;
    return 0;
  }
  for (i = 0; i < c->n_settings; i++)
    if (strcmp(c->settings[i].key, "violations") == 0)
      break;
  return hv_error_set(err, HV_EINVAL,
                      "%s:%d: sink %s: violations must be publish or "
                      "withhold, not '%s'",
                      c->path, i < c->n_settings ? c->settings[i].line
                                                 : c->line,
                      c->name, v);
}

int hv_sink_conf_load_default(const char *path, hv_sink_conf **out,
                              size_t *n_out, const char **path_out,
                              hv_error *err)
{
  static const char fallback[] = "govharvest.conf";

  *out = NULL;
  *n_out = 0;
  if (path_out)
    *path_out = NULL;
  if (!path)
    path = getenv("GOVHARVEST_CONFIG");
  if (!path || !*path) {
    if (access(fallback, F_OK) != 0)
      return 0;
    path = fallback;
  }
  if (path_out)
    *path_out = path;
  return hv_sink_conf_load(path, out, n_out, err);
}
