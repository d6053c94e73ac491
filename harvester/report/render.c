/*
 * Renderings of the volume and cost reports (report.h): a plain table
 * for people at a terminal, CSV for spreadsheets, JSON for scripts, and
 * one self-contained HTML file (inline CSS and SVG, no network, no
 * external assets) for the states that receive the bill.
 *
 * Every rendering is driven by the same column list, so a figure added
 * to hv_volume or the ledger is one row in `columns`.
 */
#include "report/report.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli/table.h"
#include "util/alloc.h"
#include "util/buf.h"

#define MAX_HTML ((size_t)64 << 20)

typedef enum measure { FLOW, STOCK, COUNT } measure;

/* One figure of a volume row. */
typedef struct column {
  const char *name;
  measure kind;
  int decimals;
  double (*get)(const hv_volume *v);
} column;

#define GETTER(fn, expr)                                                   \
  static double fn(const hv_volume *v) { return (double)(expr); }
GETTER(g_registered, v->sources_registered)
GETTER(g_harvested, v->sources_harvested)
GETTER(g_runs, v->runs)
GETTER(g_requests, v->counts.requests)
GETTER(g_bytes, v->counts.bytes)
GETTER(g_fetched, v->counts.pages_fetched)
GETTER(g_not_modified, v->counts.pages_not_modified)
GETTER(g_failed, v->counts.pages_failed)
GETTER(g_new, v->counts.datasets_new)
GETTER(g_updated, v->counts.datasets_updated)
GETTER(g_unchanged, v->counts.datasets_unchanged)
GETTER(g_deleted, v->counts.datasets_deleted)
GETTER(g_superseded, v->counts.datasets_superseded)
GETTER(g_rejected, v->counts.datasets_rejected)
GETTER(g_distributions, v->counts.distributions)
GETTER(g_findings, v->counts.findings_violations +
                       v->counts.findings_warnings + v->counts.findings_infos)
GETTER(g_violations, v->counts.findings_violations)
GETTER(g_warnings, v->counts.findings_warnings)
GETTER(g_infos, v->counts.findings_infos)
GETTER(g_seconds, v->counts.seconds)
GETTER(g_held_avg, v->datasets_held_avg)
GETTER(g_held_end, v->datasets_held_end)

static const column columns[] = {
    {"sources_registered", COUNT, 0, g_registered},
    {"sources_harvested", COUNT, 0, g_harvested},
    {"runs", FLOW, 0, g_runs},
    {"requests", FLOW, 0, g_requests},
    {"bytes", FLOW, 0, g_bytes},
    {"pages_fetched", FLOW, 0, g_fetched},
    {"pages_not_modified", FLOW, 0, g_not_modified},
    {"pages_failed", FLOW, 0, g_failed},
    {"datasets_new", FLOW, 0, g_new},
    {"datasets_updated", FLOW, 0, g_updated},
    {"datasets_unchanged", FLOW, 0, g_unchanged},
    {"datasets_deleted", FLOW, 0, g_deleted},
    {"datasets_superseded", FLOW, 0, g_superseded},
    {"datasets_rejected", FLOW, 0, g_rejected},
    {"distributions", FLOW, 0, g_distributions},
    {"findings", FLOW, 0, g_findings},
    {"findings_violations", FLOW, 0, g_violations},
    {"findings_warnings", FLOW, 0, g_warnings},
    {"findings_infos", FLOW, 0, g_infos},
    {"harvest_seconds", FLOW, 1, g_seconds},
    {"datasets_held_avg", STOCK, 1, g_held_avg},
    {"datasets_held_end", STOCK, 0, g_held_end},
};

#define N_COLUMNS (sizeof(columns) / sizeof(columns[0]))

static const char *const by_names[] = {"state", "source", "month"};
static const char *const by_plural[] = {"states", "sources", "months"};

static const char measure_note[] =
    "Flows (runs, requests, bytes, pages, datasets new/updated/unchanged/"
    "deleted/superseded/rejected, distributions, findings, harvest "
    "seconds) are sums over the runs started in the period. "
    "datasets_superseded counts, per run, the copies the source delivered "
    "that another source's copy superseded; findings (in total and by "
    "severity) are those recorded for the datasets a run wrote new or "
    "updated. Datasets held is a stock: datasets_held_avg is the mean of "
    "the datasets held at the end of each day of the period, "
    "datasets_held_end the value at its end; a source holds every copy it "
    "delivered that is not deleted (published, superseded or "
    "quarantined).";

int hv_format_parse(const char *s, hv_format *out)
{
  static const char *const names[] = {"table", "csv", "json", "html"};
  int i;

  for (i = 0; s && i < 4; i++) {
    if (strcmp(s, names[i]) == 0) {
      *out = (hv_format)i;
      return 0;
    }
  }
  return -1;
}

static void fmt_date(char *buf, size_t cap, int64_t t)
{
  time_t tt = (time_t)t;
  struct tm tm;

  gmtime_r(&tt, &tm);
  strftime(buf, cap, "%Y-%m-%d", &tm);
}

static void fmt_time(char *buf, size_t cap, int64_t t)
{
  time_t tt = (time_t)t;
  struct tm tm;

  gmtime_r(&tt, &tm);
  strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void fmt_value(char *buf, size_t cap, const column *c, double x)
{
  snprintf(buf, cap, "%.*f", c->decimals, x);
}

static const char *state_name(const hv_report_meta *meta, const char *key)
{
  size_t i;

  for (i = 0; meta && i < meta->n_states; i++) {
    if (strcmp(meta->states[i].key, key) == 0)
      return meta->states[i].name;
  }
  return "";
}

static const char *key_name(hv_alloc_key k)
{
  static const char *const names[] = {"usage", "volume", "koenigstein",
                                      "hybrid"};

  return names[k];
}

static const char *payers_name(hv_payers p)
{
  static const char *const names[] = {"without-handover", "all", "states"};

  return names[p];
}

/* ---- table -------------------------------------------------------------- */

static int write_table(FILE *out, const hv_volumes *v, const hv_cost_model *m,
                       const hv_costs *c, hv_error *err)
{
  const char *headers[N_COLUMNS + 1];
  char cells[N_COLUMNS + 1][48], from[16], to[16];
  const char *row[N_COLUMNS + 1];
  hv_table *t = NULL;
  size_t i, j;
  int rc = 0;

  fmt_date(from, sizeof(from), v->from);
  fmt_date(to, sizeof(to), v->to);
  fprintf(out, "Period %s to %s (%lld days, end exclusive), by %s.\n", from,
          to, (long long)v->days, by_names[v->by]);
  fprintf(out, "%s\n\n", measure_note);
  headers[0] = by_names[v->by];
  for (i = 0; i < N_COLUMNS; i++)
    headers[i + 1] = columns[i].name;
  if (!(t = hv_table_new(N_COLUMNS + 1, headers)))
    return hv_error_oom(err);
  for (i = 0; i <= v->n; i++) {
    const hv_volume *r = i < v->n ? &v->rows[i] : &v->total;

    row[0] = r->key;
    for (j = 0; j < N_COLUMNS; j++) {
      fmt_value(cells[j + 1], sizeof(cells[j + 1]), &columns[j],
                columns[j].get(r));
      row[j + 1] = cells[j + 1];
    }
    if (hv_table_add(t, row) < 0) {
      rc = hv_error_oom(err);
      goto cleanup;
    }
  }
  hv_table_print(t, out);
  if (m && c) {
    static const char *const ch[] = {"state", "pays", ">paying_days",
                                     ">fraction", ">key_pct", ">weight",
                                     ">amount"};
    char amount[32], total[32];

    hv_table_free(t);
    if (!(t = hv_table_new(7, ch)))
      return hv_error_oom(err);
    fprintf(out, "\nCost model %s%s%s: allocation %s, payers %s, pro rata "
            "%s.\n", m->path, m->title[0] ? " - " : "", m->title,
            key_name(m->key), payers_name(m->payers),
            m->prorata_days ? "by days" : "none");
    for (i = 0; i < HV_N_STATES; i++) {
      const hv_cost_share *sh = &c->shares[i];
      char days[16], frac[16], key[16], weight[32];

      hv_money_format(amount, sizeof(amount), sh->cents);
      snprintf(days, sizeof(days), "%lld", (long long)sh->paying_days);
      snprintf(frac, sizeof(frac), "%.4f", sh->fraction);
      snprintf(key, sizeof(key), "%.5f", sh->key_pct);
      snprintf(weight, sizeof(weight), "%.6f", sh->weight);
      row[0] = sh->state;
      row[1] = sh->pays ? "yes" : "no";
      row[2] = days;
      row[3] = frac;
      row[4] = key;
      row[5] = weight;
      row[6] = amount;
      if (hv_table_add(t, row) < 0) {
        rc = hv_error_oom(err);
        goto cleanup;
      }
    }
    hv_table_print(t, out);
    hv_money_format(total, sizeof(total), c->total_cents);
    fprintf(out, "Total allocated: %s EUR\n", total);
  }

cleanup:
  hv_table_free(t);
  return rc;
}

/* ---- CSV ---------------------------------------------------------------- */

/* Quotes a CSV field when it needs it. */
static void csv_field(FILE *out, const char *s)
{
  if (!strpbrk(s, ",\"\n\r")) {
    fputs(s, out);
    return;
  }
  fputc('"', out);
  for (; *s; s++) {
    if (*s == '"')
      fputc('"', out);
    fputc(*s, out);
  }
  fputc('"', out);
}

static void write_csv(FILE *out, const hv_volumes *v, const hv_cost_model *m,
                      const hv_costs *c)
{
  char cell[48];
  size_t i, j;
  int k;

  if (m && c) {
    fputs("state,pays,paying_days,fraction", out);
    for (k = 0; k < HV_METRIC_COUNT; k++)
      fprintf(out, ",%s", hv_metric_name((hv_metric)k));
    fputs(",key_pct,weight,amount_eur\n", out);
    for (i = 0; i < HV_N_STATES; i++) {
      const hv_cost_share *sh = &c->shares[i];

      fprintf(out, "%s,%s,%lld,%.6f", sh->state, sh->pays ? "yes" : "no",
              (long long)sh->paying_days, sh->fraction);
      for (k = 0; k < HV_METRIC_COUNT; k++)
        fprintf(out, ",%.*f", k == HV_METRIC_DATASETS_HELD ? 1 : 0,
                sh->metrics[k]);
      hv_money_format(cell, sizeof(cell), sh->cents);
      fprintf(out, ",%.5f,%.9f,%s\n", sh->key_pct, sh->weight, cell);
    }
    hv_money_format(cell, sizeof(cell), c->total_cents);
    fprintf(out, "total,,,,,,,,,,,,,%s\n", cell);
    return;
  }
  fputs(by_names[v->by], out);
  if (v->by == HV_BY_SOURCE)
    fputs(",state", out);
  for (j = 0; j < N_COLUMNS; j++)
    fprintf(out, ",%s", columns[j].name);
  fputc('\n', out);
  for (i = 0; i <= v->n; i++) {
    const hv_volume *r = i < v->n ? &v->rows[i] : &v->total;

    csv_field(out, r->key);
    if (v->by == HV_BY_SOURCE)
      fprintf(out, ",%s", r->state);
    for (j = 0; j < N_COLUMNS; j++) {
      fmt_value(cell, sizeof(cell), &columns[j], columns[j].get(r));
      fprintf(out, ",%s", cell);
    }
    fputc('\n', out);
  }
}

/* ---- JSON --------------------------------------------------------------- */

static json_t *volume_json(const hv_volumes *v, const hv_volume *r)
{
  json_t *o = json_object();
  size_t j;

  json_object_set_new(o, by_names[v->by], json_string(r->key));
  if (v->by == HV_BY_SOURCE)
    json_object_set_new(o, "state", json_string(r->state));
  for (j = 0; j < N_COLUMNS; j++) {
    double x = columns[j].get(r);

    json_object_set_new(o, columns[j].name,
                        columns[j].decimals ? json_real(x)
                                            : json_integer((json_int_t)x));
  }
  return o;
}

static int write_json(FILE *out, const hv_volumes *v, const hv_cost_model *m,
                      const hv_costs *c, hv_error *err)
{
  json_t *doc = json_object(), *rows = json_array(), *measures =
                                                           json_object();
  char from[16], to[16], cell[32];
  size_t i, j;
  int k, rc = 0;

  fmt_date(from, sizeof(from), v->from);
  fmt_date(to, sizeof(to), v->to);
  json_object_set_new(doc, "from", json_string(from));
  json_object_set_new(doc, "to", json_string(to));
  json_object_set_new(doc, "days", json_integer(v->days));
  json_object_set_new(doc, "by", json_string(by_names[v->by]));
  for (j = 0; j < N_COLUMNS; j++)
    json_object_set_new(measures, columns[j].name,
                        json_string(columns[j].kind == FLOW    ? "flow"
                                    : columns[j].kind == STOCK ? "stock"
                                                               : "count"));
  json_object_set_new(doc, "measures", measures);
  json_object_set_new(doc, "note", json_string(measure_note));
  for (i = 0; i < v->n; i++)
    json_array_append_new(rows, volume_json(v, &v->rows[i]));
  /* Rows are named for what they are: "states", "sources" or "months". */
  json_object_set_new(doc, by_plural[v->by], rows);
  json_object_set_new(doc, "total", volume_json(v, &v->total));
  if (m && c) {
    json_t *model = json_object(), *shares = json_array(), *w = json_object();

    json_object_set_new(model, "file", json_string(m->path));
    json_object_set_new(model, "title", json_string(m->title));
    json_object_set_new(model, "allocation", json_string(key_name(m->key)));
    json_object_set_new(model, "payers", json_string(payers_name(m->payers)));
    json_object_set_new(model, "prorata_days", json_boolean(m->prorata_days));
    if (m->key == HV_KEY_HYBRID)
      json_object_set_new(model, "base_share", json_real(m->base_share));
    for (k = 0; k < HV_METRIC_COUNT; k++) {
      if (m->weights[k] > 0)
        json_object_set_new(w, hv_metric_name((hv_metric)k),
                            json_real(m->weights[k]));
    }
    json_object_set_new(model, "weights", w);
    if (m->key_table[0]) {
      json_object_set_new(model, "key_table", json_string(m->key_table));
      json_object_set_new(model, "key_year", json_integer(m->key_year));
      json_object_set_new(model, "key_source", json_string(m->key_source));
    }
    for (i = 0; i < HV_N_STATES; i++) {
      const hv_cost_share *sh = &c->shares[i];
      json_t *o = json_object(), *mt = json_object();

      json_object_set_new(o, "state", json_string(sh->state));
      json_object_set_new(o, "pays", json_boolean(sh->pays));
      json_object_set_new(o, "paying_days", json_integer(sh->paying_days));
      json_object_set_new(o, "fraction", json_real(sh->fraction));
      for (k = 0; k < HV_METRIC_COUNT; k++)
        json_object_set_new(mt, hv_metric_name((hv_metric)k),
                            json_real(sh->metrics[k]));
      json_object_set_new(o, "metrics", mt);
      json_object_set_new(o, "key_pct", json_real(sh->key_pct));
      json_object_set_new(o, "weight", json_real(sh->weight));
      json_object_set_new(o, "cents", json_integer(sh->cents));
      hv_money_format(cell, sizeof(cell), sh->cents);
      json_object_set_new(o, "amount_eur", json_string(cell));
      json_array_append_new(shares, o);
    }
    json_object_set_new(doc, "model", model);
    json_object_set_new(doc, "shares", shares);
    json_object_set_new(doc, "total_cents", json_integer(c->total_cents));
  }
  if (json_dumpf(doc, out, JSON_INDENT(2)) < 0)
    rc = hv_error_set(err, HV_EIO, "report: cannot write JSON");
  fputc('\n', out);
  json_decref(doc);
  return rc;
}

/* ---- HTML --------------------------------------------------------------- */

static void esc(hv_buf *b, const char *s)
{
  for (; *s; s++) {
    switch (*s) {
    case '<': hv_buf_addstr(b, "&lt;"); break;
    case '>': hv_buf_addstr(b, "&gt;"); break;
    case '&': hv_buf_addstr(b, "&amp;"); break;
    case '"': hv_buf_addstr(b, "&quot;"); break;
    default: hv_buf_addc(b, *s);
    }
  }
}

static const char *const palette[] = {
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b",
    "#e377c2", "#7f7f7f", "#bcbd22", "#17becf", "#393b79", "#637939",
    "#8c6d31", "#843c39", "#7b4173", "#3182bd", "#31a354"};

/* A horizontal bar chart of n labelled values. */
static void svg_bars(hv_buf *b, const char *title, const char *const *labels,
                     const double *values, size_t n, int decimals)
{
  double max = 0;
  size_t i;

  for (i = 0; i < n; i++) {
    if (values[i] > max)
      max = values[i];
  }
  hv_buf_addf(b, "<figure><figcaption>");
  esc(b, title);
  hv_buf_addf(b, "</figcaption>\n<svg class=\"chart\" xmlns=\"http://www.w3."
                 "org/2000/svg\" width=\"640\" height=\"%zu\" role=\"img\">\n",
              n * 22 + 10);
  for (i = 0; i < n; i++) {
    double w = max > 0 ? values[i] / max * 440 : 0;

    hv_buf_addf(b, "<text x=\"0\" y=\"%zu\" font-size=\"12\">", i * 22 + 20);
    esc(b, labels[i]);
    hv_buf_addf(b, "</text><rect x=\"80\" y=\"%zu\" width=\"%.1f\" "
                   "height=\"16\" fill=\"%s\"/><text x=\"%.1f\" y=\"%zu\" "
                   "font-size=\"12\">%.*f</text>\n",
                i * 22 + 8, w, palette[i % 17], 86 + w, i * 22 + 20,
                decimals, values[i]);
  }
  hv_buf_addstr(b, "</svg></figure>\n");
}

/* The monthly line of datasets held per state. */
static void svg_lines(hv_buf *b, const hv_volumes *v)
{
  double max = 1, x, y;
  size_t i, m;
  char label[16];

  for (i = 0; i < v->n_series; i++) {
    for (m = 0; m < v->n_months; m++) {
      if ((double)v->series[i].held[m] > max)
        max = (double)v->series[i].held[m];
    }
  }
  hv_buf_addstr(b, "<figure><figcaption>Datasets held per state at the end "
                   "of each month</figcaption>\n<svg class=\"chart\" "
                   "xmlns=\"http://www.w3.org/2000/svg\" width=\"640\" "
                   "height=\"300\" role=\"img\">\n"
                   "<line x1=\"50\" y1=\"260\" x2=\"560\" y2=\"260\" "
                   "stroke=\"#000\"/><line x1=\"50\" y1=\"20\" x2=\"50\" "
                   "y2=\"260\" stroke=\"#000\"/>\n");
  hv_buf_addf(b, "<text x=\"0\" y=\"24\" font-size=\"11\">%.0f</text>\n",
              max);
  for (m = 0; m < v->n_months; m++) {
    x = 50 + (v->n_months > 1 ? 510.0 * (double)m / (double)(v->n_months - 1)
                              : 255);
    fmt_date(label, sizeof(label), v->months[m]);
    label[7] = '\0';
    hv_buf_addf(b, "<text x=\"%.1f\" y=\"280\" font-size=\"11\" "
                   "text-anchor=\"middle\">%s</text>\n", x, label);
  }
  for (i = 0; i < v->n_series; i++) {
    hv_buf_addf(b, "<polyline class=\"series\" fill=\"none\" stroke=\"%s\" "
                   "stroke-width=\"2\" points=\"",
                palette[i % 17]);
    for (m = 0; m < v->n_months; m++) {
      x = 50 + (v->n_months > 1
                    ? 510.0 * (double)m / (double)(v->n_months - 1)
                    : 255);
      y = 260 - 240.0 * (double)v->series[i].held[m] / max;
      hv_buf_addf(b, "%s%.1f,%.1f", m ? " " : "", x, y);
    }
    hv_buf_addf(b, "\"/><text x=\"570\" y=\"%zu\" font-size=\"11\" "
                   "fill=\"%s\">%s</text>\n",
                30 + i * 14, palette[i % 17], v->series[i].state);
  }
  hv_buf_addstr(b, "</svg></figure>\n");
}

static int write_html(FILE *out, const hv_volumes *v, const hv_cost_model *m,
                      const hv_costs *c, const hv_report_meta *meta,
                      hv_error *err)
{
  hv_buf b = HV_BUF_INIT(MAX_HTML);
  const char **labels = NULL;
  double *values = NULL;
  char from[16], to[16], gen[32], cell[48];
  size_t i, j;
  int k, rc = 0;

  fmt_date(from, sizeof(from), v->from);
  fmt_date(to, sizeof(to), v->to);
  fmt_time(gen, sizeof(gen), meta ? meta->generated_at : 0);
  labels = hv_calloc(v->n + HV_N_STATES + 1, sizeof(*labels));
  values = hv_calloc(v->n + HV_N_STATES + 1, sizeof(*values));
  if (!labels || !values) {
    rc = hv_error_oom(err);
    goto cleanup;
  }
  hv_buf_addstr(&b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
                    "<meta charset=\"utf-8\">\n<title>govharvest ");
  hv_buf_addstr(&b, m ? "cost report" : "volume report");
  hv_buf_addstr(&b, "</title>\n<style>\nbody{font-family:sans-serif;"
                    "margin:2em;color:#222}\ntable{border-collapse:collapse;"
                    "font-size:12px}\nth,td{border:1px solid #ccc;"
                    "padding:2px 6px}\ntd.n{text-align:right}\n"
                    "th.flow{background:#eef}\nth.stock{background:#efe}\n"
                    "figure{margin:1em 0}\n</style>\n</head>\n<body>\n");
  hv_buf_addf(&b, "<h1>govharvest %s</h1>\n<p>Period %s to %s (%lld days, "
                  "end exclusive), by %s. Generated %s from the store <code>",
              m ? "cost report" : "volume report", from, to,
              (long long)v->days, by_names[v->by], gen);
  esc(&b, meta && meta->store_path ? meta->store_path : "");
  hv_buf_addstr(&b, "</code>.</p>\n<p class=\"note\">");
  esc(&b, measure_note);
  hv_buf_addf(&b, "</p>\n<table id=\"volumes\">\n<tr><th>%s</th><th>name"
                  "</th>", by_names[v->by]);
  for (j = 0; j < N_COLUMNS; j++)
    hv_buf_addf(&b, "<th class=\"%s\">%s</th>",
                columns[j].kind == STOCK ? "stock" : "flow", columns[j].name);
  hv_buf_addstr(&b, "</tr>\n");
  for (i = 0; i <= v->n; i++) {
    const hv_volume *r = i < v->n ? &v->rows[i] : &v->total;

    hv_buf_addstr(&b, "<tr><td>");
    esc(&b, r->key);
    hv_buf_addstr(&b, "</td><td>");
    esc(&b, v->by == HV_BY_STATE ? state_name(meta, r->key) : r->state);
    hv_buf_addstr(&b, "</td>");
    for (j = 0; j < N_COLUMNS; j++) {
      fmt_value(cell, sizeof(cell), &columns[j], columns[j].get(r));
      hv_buf_addf(&b, "<td class=\"n\">%s</td>", cell);
    }
    hv_buf_addstr(&b, "</tr>\n");
  }
  hv_buf_addstr(&b, "</table>\n<h2>Volumes</h2>\n");
  for (i = 0; i < v->n; i++)
    labels[i] = v->rows[i].key;
  for (i = 0; i < v->n; i++)
    values[i] = v->rows[i].datasets_held_avg;
  svg_bars(&b, "Datasets held (stock, daily average)", labels, values, v->n,
           1);
  for (i = 0; i < v->n; i++)
    values[i] = (double)v->rows[i].counts.requests;
  svg_bars(&b, "Requests (flow, sum)", labels, values, v->n, 0);
  for (i = 0; i < v->n; i++)
    values[i] = (double)v->rows[i].counts.bytes;
  svg_bars(&b, "Bytes transferred (flow, sum)", labels, values, v->n, 0);
  svg_lines(&b, v);
  if (m && c) {
    hv_buf_addstr(&b, "<h2>Cost shares</h2>\n<table id=\"costs\">\n<tr>"
                      "<th>state</th><th>name</th><th>pays</th>"
                      "<th>paying days</th><th>fraction</th>");
    for (k = 0; k < HV_METRIC_COUNT; k++)
      hv_buf_addf(&b, "<th>%s</th>", hv_metric_name((hv_metric)k));
    hv_buf_addstr(&b, "<th>key %</th><th>weight</th><th>amount EUR</th>"
                      "</tr>\n");
    for (i = 0; i < HV_N_STATES; i++) {
      const hv_cost_share *sh = &c->shares[i];

      hv_buf_addf(&b, "<tr><td>%s</td><td>", sh->state);
      esc(&b, state_name(meta, sh->state));
      hv_buf_addf(&b, "</td><td>%s</td><td class=\"n\">%lld</td>"
                      "<td class=\"n\">%.4f</td>",
                  sh->pays ? "yes" : "no", (long long)sh->paying_days,
                  sh->fraction);
      for (k = 0; k < HV_METRIC_COUNT; k++)
        hv_buf_addf(&b, "<td class=\"n\">%.*f</td>",
                    k == HV_METRIC_DATASETS_HELD ? 1 : 0, sh->metrics[k]);
      hv_money_format(cell, sizeof(cell), sh->cents);
      hv_buf_addf(&b, "<td class=\"n\">%.5f</td><td class=\"n\">%.6f</td>"
                      "<td class=\"n\">%s</td></tr>\n",
                  sh->key_pct, sh->weight, cell);
      labels[i] = sh->state;
      values[i] = (double)sh->cents / 100.0;
    }
    hv_money_format(cell, sizeof(cell), c->total_cents);
    hv_buf_addf(&b, "<tr><td>total</td><td colspan=\"15\"></td>"
                    "<td class=\"n\">%s</td></tr>\n</table>\n", cell);
    svg_bars(&b, "Cost shares (EUR)", labels, values, HV_N_STATES, 2);
    hv_buf_addstr(&b, "<h2>Model</h2>\n<dl id=\"model\">\n<dt>file</dt><dd>");
    esc(&b, m->path);
    hv_buf_addstr(&b, "</dd>\n<dt>title</dt><dd>");
    esc(&b, m->title);
    fmt_date(from, sizeof(from), m->from);
    fmt_date(to, sizeof(to), m->to);
    hv_buf_addf(&b, "</dd>\n<dt>period</dt><dd>%s to %s</dd>\n", from, to);
    if (m->has_total) {
      hv_money_format(cell, sizeof(cell), m->total_cents);
      hv_buf_addf(&b, "<dt>total</dt><dd>%s EUR</dd>\n", cell);
    } else {
      static const char *const pn[] = {"base", "endpoint", "datasets_1000",
                                       "gb", "run"};

      for (k = 0; k < HV_PRICE_COUNT; k++) {
        hv_money_format(cell, sizeof(cell), m->prices[k]);
        hv_buf_addf(&b, "<dt>price %s</dt><dd>%s EUR</dd>\n", pn[k], cell);
      }
    }
    hv_buf_addf(&b, "<dt>payers</dt><dd>%s</dd>\n<dt>pro rata</dt><dd>%s"
                    "</dd>\n<dt>allocation</dt><dd>%s</dd>\n",
                payers_name(m->payers), m->prorata_days ? "days" : "none",
                key_name(m->key));
    if (m->key == HV_KEY_HYBRID)
      hv_buf_addf(&b, "<dt>base_share</dt><dd>%.4f</dd>\n", m->base_share);
    for (k = 0; k < HV_METRIC_COUNT; k++) {
      if (m->weights[k] > 0)
        hv_buf_addf(&b, "<dt>weight %s</dt><dd>%g</dd>\n",
                    hv_metric_name((hv_metric)k), m->weights[k]);
    }
    if (m->key_table[0]) {
      hv_buf_addf(&b, "<dt>key table</dt><dd>%d: ", m->key_year);
      esc(&b, m->key_source);
      hv_buf_addstr(&b, "</dd>\n");
    }
    hv_buf_addstr(&b, "</dl>\n");
  }
  /*
   * Marks the page as rendered only when every chart has a layout box,
   * so a headless browser can check the page with --dump-dom.
   */
  hv_buf_addstr(&b, "<script>\n(function () {\n"
                    "  var svgs = document.querySelectorAll('svg.chart');\n"
                    "  var ok = svgs.length > 0;\n"
                    "  for (var i = 0; i < svgs.length; i++)\n"
                    "    if (!(svgs[i].getBoundingClientRect().width > 0))\n"
                    "      ok = false;\n"
                    "  document.body.setAttribute('data-rendered',\n"
                    "                             ok ? 'ok' : 'broken');\n"
                    "})();\n</script>\n</body>\n</html>\n");
  if (!b.ptr || b.len == 0) {
    rc = hv_error_set(err, HV_ENOMEM, "report: HTML larger than %zu bytes "
                      "or out of memory", MAX_HTML);
    goto cleanup;
  }
  if (fwrite(b.ptr, 1, b.len, out) != b.len)
    rc = hv_error_set(err, HV_EIO, "report: cannot write the HTML");

cleanup:
  hv_free(labels);
  hv_free(values);
  hv_buf_fini(&b);
  return rc;
}

int hv_report_write(FILE *out, hv_format f, const hv_volumes *v,
                    const hv_cost_model *m, const hv_costs *c,
                    const hv_report_meta *meta, hv_error *err)
{
  switch (f) {
  case HV_FORMAT_TABLE: return write_table(out, v, m, c, err);
  case HV_FORMAT_CSV: write_csv(out, v, m, c); return 0;
  case HV_FORMAT_JSON: return write_json(out, v, m, c, err);
  case HV_FORMAT_HTML: return write_html(out, v, m, c, meta, err);
  }
  return hv_error_set(err, HV_EINVAL, "report: unknown format");
}
