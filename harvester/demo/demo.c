/*
 * The demo (see demo.h).
 *
 * deploy/demo/sources.tsv lists the sample handover points: name, state,
 * path of the first page under www/, format hint, priority and
 * contributorID ("-" for none). The demo registers each with the URL of
 * the loopback server, harvests all of them, harvests them again (now
 * with conditional requests, so unchanged pages come back as 304), and
 * prints what a state operator or the cost report would look at.
 */
#include "demo/demo.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/print.h"
#include "demo/static_server.h"
#include "harvest/harvest.h"
#include "store/store.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/file.h"

#define MAX_SOURCES_FILE ((size_t)1 << 20)
#define N_COLUMNS 6

static char *column(char *s)
{
  return strcmp(s, "-") == 0 ? NULL : s;
}

/* Registers every line of sources.tsv; base is "http://127.0.0.1:PORT/". */
static int add_sources(hv_store *store, const char *tsv_path,
                       const char *base, hv_error *err)
{
  hv_buf text = HV_BUF_INIT(MAX_SOURCES_FILE);
  char *line, *save = NULL;
  int rc, line_no = 0;

  if ((rc = hv_file_read(tsv_path, &text, err)) < 0)
    goto cleanup;
  for (line = strtok_r(text.ptr, "\n", &save); line;
       line = strtok_r(NULL, "\n", &save)) {
    char *cols[N_COLUMNS], *p = line, url[2048];
    hv_source src;
    int i;

    line_no++;
    if (line_no == 1 || line[0] == '#' || line[0] == '\0')
      continue; /* header, comments */
    for (i = 0; i < N_COLUMNS; i++) {
      cols[i] = p;
      p = p ? strchr(p, '\t') : NULL;
      if (p)
        *p++ = '\0';
      if (!cols[i]) {
        rc = hv_error_set(err, HV_EINVAL, "%s:%d: expected %d columns",
                          tsv_path, line_no, N_COLUMNS);
        goto cleanup;
      }
    }
    memset(&src, 0, sizeof(src));
    snprintf(url, sizeof(url), "%s%s", base, cols[2]);
    src.name = cols[0];
    src.state = cols[1];
    src.kind = "dcat-rdf";
    src.url = url;
    src.format_hint = column(cols[3]);
    src.priority = atoi(cols[4]);
    src.contributor_id = column(cols[5]);
    src.enabled = 1;
    if ((rc = hv_store_source_add(store, &src, err)) < 0) {
      hv_error_prefix(err, "%s:%d: ", tsv_path, line_no);
      goto cleanup;
    }
  }
  rc = 0;

cleanup:
  hv_buf_fini(&text);
  return rc;
}

static void remove_store_files(const char *db_path)
{
  static const char *const suffixes[] = {"", "-wal", "-shm", "-journal"};
  char path[4096];
  size_t i;

  for (i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
    snprintf(path, sizeof(path), "%s%s", db_path, suffixes[i]);
    unlink(path);
  }
}

int hv_demo_run(const hv_demo_opts *opts, FILE *out, hv_error *err)
{
  hv_static_server *srv = NULL;
  hv_store *store = NULL;
  hv_source *sources = NULL;
  hv_volume_row *volumes = NULL;
  hv_harvest_opts hopts = HV_HARVEST_OPTS_INIT;
  char www[4096], tsv[4096], base[64];
  size_t n = 0, n_volumes = 0;
  int rc;

  snprintf(www, sizeof(www), "%s/www", opts->demo_dir);
  snprintf(tsv, sizeof(tsv), "%s/sources.tsv", opts->demo_dir);
  if (access(tsv, R_OK) != 0) {
    rc = hv_error_set(err, HV_ENOTFOUND,
                      "sample data not found: %s (set --demo-dir)", tsv);
    goto cleanup;
  }
  if ((rc = hv_static_server_start(&srv, www, 0, 1, err)) < 0)
    goto cleanup;
  snprintf(base, sizeof(base), "http://127.0.0.1:%u/",
           (unsigned)hv_static_server_port(srv));

  remove_store_files(opts->db_path);
  if ((rc = hv_store_open(&store, opts->db_path, err)) < 0 ||
      (rc = add_sources(store, tsv, base, err)) < 0 ||
      (rc = hv_store_source_list(store, &sources, &n, err)) < 0)
    goto cleanup;
  if (mkdir(opts->out_dir, 0755) < 0 && errno != EEXIST) {
    rc = hv_error_set(err, HV_EIO, "cannot create %s: %s", opts->out_dir,
                      strerror(errno));
    goto cleanup;
  }

  /* The sample portals live on this machine, and only there. */
  hopts.fetch.allow_loopback = 1;
  hopts.fetch.max_attempts = 2;
  hopts.fetch.backoff_base_ms = 100;

  fprintf(out, "govharvest demo: %zu sample handover points served at %s\n"
               "store: %s\n\n",
          n, base, opts->db_path);
  fprintf(out, "== first harvest\n");
  hv_cli_harvest(store, sources, n, &hopts, opts->out_dir, 0, out);
  fprintf(out, "\n== second harvest (conditional requests: unchanged pages "
               "answer 304)\n");
  hv_cli_harvest(store, sources, n, &hopts, NULL, 0, out);

  if ((rc = hv_store_report_volumes(store, 0, 0, &volumes, &n_volumes,
                                    err)) < 0)
    goto cleanup;
  fprintf(out, "\n== volumes per state (both runs; govharvest report "
               "volumes --db %s)\n",
          opts->db_path);
  hv_print_volumes(out, volumes, n_volumes, 0);
  rc = 0;

cleanup:
  hv_free(volumes);
  hv_source_list_free(sources, n);
  hv_store_close(store);
  hv_static_server_stop(srv);
  return rc;
}
