/*
 * The sink interface: where harvested datasets go after the store.
 *
 * A sink is one small vtable (open, put, delete, flush, close, describe)
 * and one file: files.c (catalog files and the paged export),
 * graphstore.c (SPARQL 1.1 Graph Store HTTP Protocol), ckan.c (CKAN
 * action API). Sinks are named in the configuration file (sinks/conf.c,
 * format in sinks/README.md), so several run side by side; the outbox
 * sender (outbox/sender.h) drives them on its libuv loop.
 *
 * put and delete are asynchronous and idempotent: sending the same
 * operation twice leaves the sink as sending it once did, which is what
 * lets the sender resend whatever it cannot prove was confirmed.
 */
#ifndef HV_SINKS_SINK_H
#define HV_SINKS_SINK_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "store/store.h"
#include "util/buf.h"
#include "util/error.h"

/* ---- configuration ------------------------------------------------------ */

/* One "key = value" line of a sink section. */
typedef struct hv_sink_setting {
  char *key;
  char *value;
  int line; /* line in the configuration file, for messages */
} hv_sink_setting;

/* One [sink NAME] section. */
typedef struct hv_sink_conf {
  char *name;  /* [A-Za-z0-9._-], 1..64 chars */
  char *type;  /* "files", "graphstore" or "ckan" */
  char *path;  /* configuration file, for messages */
  int line;    /* line of the section header */
  hv_sink_setting *settings;
  size_t n_settings;
} hv_sink_conf;

/*
 * Parses the configuration file at path into its sink sections. Errors
 * name "path:line: reason". Settings are checked by each sink's open,
 * not here. *out (n entries) is freed with hv_sink_confs_free.
 */
int hv_sink_conf_load(const char *path, hv_sink_conf **out, size_t *n_out,
                      hv_error *err);

/* Parses configuration text; path only names it in messages. */
int hv_sink_conf_parse(const char *text, const char *path, hv_sink_conf **out,
                       size_t *n_out, hv_error *err);

void hv_sink_confs_free(hv_sink_conf *confs, size_t n);

/*
 * Loads the configuration in use: path if not NULL, else the file named
 * by $GOVHARVEST_CONFIG, else ./govharvest.conf if it exists. No file
 * at all is no error: *out is NULL and *n_out 0. *path_out (may be NULL)
 * is set to the file read, borrowed from path, the environment or a
 * constant, or NULL.
 */
int hv_sink_conf_load_default(const char *path, hv_sink_conf **out,
                              size_t *n_out, const char **path_out,
                              hv_error *err);

/* Returns the value of key in c (borrowed), or NULL. */
const char *hv_sink_conf_get(const hv_sink_conf *c, const char *key);

/*
 * Reads an integer setting in [min, max], *out keeping its default when
 * the key is absent. HV_EINVAL names file, line, key and value.
 */
int hv_sink_conf_int(const hv_sink_conf *c, const char *key, long min,
                     long max, long *out, hv_error *err);

/*
 * Resolves the secret `what` ("password", "token"): from the environment
 * variable named by WHAT_env, or from the file named by WHAT_file, which
 * must be owned by the user and readable by nobody else (mode 0600 or
 * stricter). A secret written into the configuration itself is refused.
 * *out is NULL when neither is set; free it with hv_sink_secret_free.
 * Messages name the variable or file, never the secret.
 */
int hv_sink_conf_secret(const hv_sink_conf *c, const char *what, char **out,
                        hv_error *err);

/*
 * Reads the sink's `violations` setting: publish (the default, as
 * GovData publishes datasets with findings) sets *out to 0, withhold to
 * 1 (datasets with violations are not sent, and withdrawn if they were).
 * HV_EINVAL names file, line and value of anything else.
 */
int hv_sink_conf_withhold(const hv_sink_conf *c, int *out, hv_error *err);

/* Overwrites and frees a secret; NULL-safe. */
void hv_sink_secret_free(char *secret);

/* ---- the vtable --------------------------------------------------------- */

typedef struct hv_sink hv_sink;

/* How a sink answered one operation. */
typedef enum hv_sink_status {
  HV_SINK_OK = 0, /* applied (or already so): mark the operation done */
  HV_SINK_RETRY,  /* transient (network, timeout, 5xx): retry later */
  HV_SINK_PARK,   /* refused for this dataset (validation): park it */
  HV_SINK_HALT    /* refused for every dataset (credentials, setup):
                     retry later, send nothing more to this sink now */
} hv_sink_status;

/* What an operation is about; every string is borrowed for the call. */
typedef struct hv_sink_item {
  int64_t seq;             /* outbox sequence number */
  const char *source;      /* source name (of the copy sent, or of the
                              copy last published, for a delete) */
  const char *key;         /* dataset key within the source */
  const char *identity;    /* published identity: what the sink names
                              the dataset by; NULL for an operation
                              queued per copy, named by source and key */
  const char *uri;         /* dataset IRI or NULL (blank node) */
  const char *identifier;  /* dct:identifier or NULL */
  const char *modified;    /* dct:modified or NULL */
  const char *hash;        /* canonical SHA-256 hex (put) or NULL */
  const char *payload;     /* canonical N-Triples (put), else NULL */
  size_t payload_len;
} hv_sink_item;

/*
 * Completion of a put or delete: runs exactly once, on the loop thread,
 * possibly before put/delete returned. err holds the reason unless OK.
 */
typedef void (*hv_sink_cb)(hv_sink_status status, const hv_error *err,
                           void *payload);

/* What a sink may use while it runs. */
typedef struct hv_sink_env {
  uv_loop_t *loop;  /* the sender's loop */
  hv_store *store;  /* the store (read by the files sink's flush) */
} hv_sink_env;

typedef struct hv_sink_type {
  const char *name; /* the conf's type */
  /*
   * The sink rewrites everything from the store at flush, so the sender
   * does not send it operations one by one: a successful flush confirms
   * every operation pending when the drain started.
   */
  int confirm_on_flush;
  /* Reads and checks the settings, keeps what it needs in s->impl. */
  int (*open)(hv_sink *s, const hv_sink_conf *conf, const hv_sink_env *env,
              hv_error *err);
  /* Start one operation. rc < 0: cb is never called. */
  int (*put)(hv_sink *s, const hv_sink_item *item, hv_sink_cb cb,
             void *payload);
  int (*delete)(hv_sink *s, const hv_sink_item *item, hv_sink_cb cb,
                void *payload);
  /* Synchronous; after every operation of a drain completed. */
  int (*flush)(hv_sink *s, hv_error *err);
  /*
   * Releases s->impl. Loop handles are closed here and freed by their
   * close callbacks, so the loop must run once more after close.
   */
  void (*close)(hv_sink *s);
  /* Appends one line naming the sink's target, never credentials. */
  int (*describe)(const hv_sink *s, hv_buf *out);
} hv_sink_type;

struct hv_sink {
  const hv_sink_type *type;
  char *name;       /* the conf's name */
  hv_sink_env env;
  void *impl;       /* the type's state */
};

/* Returns the sink type called name, or NULL. */
const hv_sink_type *hv_sink_type_find(const char *name);

/*
 * Makes and opens the sink of conf. *out is written only on success and
 * released with hv_sink_close (then the loop must run) and hv_sink_free.
 */
int hv_sink_open(hv_sink **out, const hv_sink_conf *conf,
                 const hv_sink_env *env, hv_error *err);

/* Calls the type's close once; NULL-safe. */
void hv_sink_close(hv_sink *s);

/* Frees s after hv_sink_close and a final loop run; NULL-safe. */
void hv_sink_free(hv_sink *s);

/* The sink types (files.c, graphstore.c, ckan.c). */
extern const hv_sink_type hv_sink_files;
extern const hv_sink_type hv_sink_graphstore;
extern const hv_sink_type hv_sink_ckan;

#endif
