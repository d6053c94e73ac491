/*
 * Report printing (see print.h). JSON goes through jansson so that names
 * and messages with quotes or umlauts are always valid JSON.
 */
#include "cli/print.h"

#include <inttypes.h>
#include <jansson.h>
#include <string.h>

#include "cli/table.h"

void hv_format_bytes(char *buf, size_t cap, int64_t bytes)
{
  static const char *const units[] = {"B", "kB", "MB", "GB", "TB"};
  double v = (double)bytes;
  size_t u = 0;

  while (v >= 1000.0 && u + 1 < sizeof(units) / sizeof(units[0])) {
    v /= 1000.0;
    u++;
  }
  if (u == 0)
    snprintf(buf, cap, "%" PRId64 " B", bytes);
  else
    snprintf(buf, cap, "%.1f %s", v, units[u]);
}

static json_t *counts_json(const hv_ledger_counts *c)
{
  return json_pack(
      "{s:I,s:I,s:{s:I,s:I,s:I},s:{s:I,s:I,s:I,s:I,s:I,s:I},"
      "s:{s:I,s:I,s:I},s:I,s:f}",
      "requests", (json_int_t)c->requests, "bytes", (json_int_t)c->bytes,
      "pages", "fetched", (json_int_t)c->pages_fetched, "not_modified",
      (json_int_t)c->pages_not_modified, "failed",
      (json_int_t)c->pages_failed, "datasets", "new",
      (json_int_t)c->datasets_new, "updated", (json_int_t)c->datasets_updated,
      "unchanged", (json_int_t)c->datasets_unchanged, "deleted",
      (json_int_t)c->datasets_deleted, "superseded",
      (json_int_t)c->datasets_superseded, "rejected",
      (json_int_t)c->datasets_rejected, "findings", "violations",
      (json_int_t)c->findings_violations, "warnings",
      (json_int_t)c->findings_warnings, "infos",
      (json_int_t)c->findings_infos, "distributions",
      (json_int_t)c->distributions, "seconds", c->seconds);
}

static void print_json(FILE *out, json_t *doc)
{
  if (doc) {
    json_dumpf(doc, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    fputc('\n', out);
    json_decref(doc);
  }
}

void hv_print_run_reports(FILE *out, const hv_source_report *reports,
                          size_t n, int json)
{
  static const char *const headers[] = {
      "source", "state", "status", ">pages", ">304", ">failed", ">new",
      ">updated", ">unchanged", ">deleted", ">rejected", ">requests",
      ">bytes", ">seconds"};
  hv_table *t;
  size_t i;

  if (json) {
    json_t *arr = json_array();
    for (i = 0; arr && i < n; i++) {
      const hv_source_report *r = &reports[i];
      json_array_append_new(
          arr, json_pack("{s:s,s:s,s:I,s:s,s:s?,s:I,s:o}", "source", r->name,
                         "state", r->state, "run", (json_int_t)r->run_id,
                         "status", r->status, "message", r->message,
                         "datasets_active", (json_int_t)r->datasets_active,
                         "counts", counts_json(&r->counts)));
    }
    print_json(out, json_pack("{s:o}", "sources", arr));
    return;
  }
  if (!(t = hv_table_new(sizeof(headers) / sizeof(headers[0]), headers)))
    return;
  for (i = 0; i < n; i++) {
    const hv_source_report *r = &reports[i];
    const hv_ledger_counts *c = &r->counts;
    char bytes[32];

    hv_format_bytes(bytes, sizeof(bytes), c->bytes);
    hv_table_addf(t,
                  "%s\t%s\t%s\t%" PRId64 "\t%" PRId64 "\t%" PRId64
                  "\t%" PRId64 "\t%" PRId64 "\t%" PRId64 "\t%" PRId64
                  "\t%" PRId64 "\t%" PRId64 "\t%s\t%.2f",
                  r->name, r->state, r->status,
                  c->pages_fetched + c->pages_not_modified,
                  c->pages_not_modified, c->pages_failed, c->datasets_new,
                  c->datasets_updated, c->datasets_unchanged,
                  c->datasets_deleted, c->datasets_rejected, c->requests,
                  bytes, c->seconds);
  }
  hv_table_print(t, out);
  hv_table_free(t);
  for (i = 0; i < n; i++) {
    if (reports[i].message)
      fprintf(out, "  %s: %s\n", reports[i].name, reports[i].message);
  }
}

void hv_print_volumes(FILE *out, const hv_volume_row *rows, size_t n,
                      int json)
{
  static const char *const headers[] = {
      "state", ">sources", ">runs", ">requests", ">bytes", ">pages",
      ">304", ">failed", ">new", ">updated", ">unchanged", ">deleted",
      ">superseded", ">rejected", ">distributions", ">findings",
      ">seconds"};
  hv_volume_row total;
  hv_table *t;
  size_t i;

  if (json) {
    json_t *arr = json_array();
    for (i = 0; arr && i < n; i++)
      json_array_append_new(
          arr, json_pack("{s:s,s:I,s:I,s:o}", "state", rows[i].state,
                         "sources", (json_int_t)rows[i].sources, "runs",
                         (json_int_t)rows[i].runs, "counts",
                         counts_json(&rows[i].counts)));
    print_json(out, json_pack("{s:o}", "states", arr));
    return;
  }
  if (!(t = hv_table_new(sizeof(headers) / sizeof(headers[0]), headers)))
    return;
  memset(&total, 0, sizeof(total));
  snprintf(total.state, sizeof(total.state), "total");
  for (i = 0; i <= n; i++) {
    const hv_volume_row *r = i < n ? &rows[i] : &total;
    const hv_ledger_counts *c = &r->counts;
    char bytes[32];

    if (i < n) {
      total.sources += r->sources;
      total.runs += r->runs;
      hv_ledger_counts_add(&total.counts, c);
    }
    hv_format_bytes(bytes, sizeof(bytes), c->bytes);
    hv_table_addf(t,
                  "%s\t%" PRId64 "\t%" PRId64 "\t%" PRId64 "\t%s\t%" PRId64
                  "\t%" PRId64 "\t%" PRId64 "\t%" PRId64 "\t%" PRId64
                  "\t%" PRId64 "\t%" PRId64 "\t%" PRId64 "\t%" PRId64
                  "\t%" PRId64 "\t%" PRId64 "\t%.2f",
                  r->state, r->sources, r->runs, c->requests, bytes,
                  c->pages_fetched + c->pages_not_modified,
                  c->pages_not_modified, c->pages_failed, c->datasets_new,
                  c->datasets_updated, c->datasets_unchanged,
                  c->datasets_deleted, c->datasets_superseded,
                  c->datasets_rejected, c->distributions,
                  c->findings_violations + c->findings_warnings +
                      c->findings_infos,
                  c->seconds);
  }
  hv_table_print(t, out);
  hv_table_free(t);
}
