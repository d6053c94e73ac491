/*
 * CLI tables (see table.h). Cells are UTF-8; widths count code points so
 * that German names with umlauts line up.
 */
#include "cli/table.h"

#include <stdarg.h>
#include <string.h>

#include "util/alloc.h"
#include "util/error.h"

struct hv_table {
  size_t n_cols;
  char **headers;
  int *right;       /* right-align column i */
  char **cells;     /* n_rows * n_cols */
  size_t n_rows;
  size_t cap_rows;
};

static size_t display_width(const char *s)
{
  size_t n = 0;

  for (; *s; s++) {
    if (((unsigned char)*s & 0xC0) != 0x80)
      n++;
  }
  return n;
}

hv_table *hv_table_new(size_t n_cols, const char *const *headers)
{
  hv_table *t = hv_calloc(1, sizeof(*t));
  size_t i;

  if (!t)
    return NULL;
  t->n_cols = n_cols;
  if (!(t->headers = hv_calloc(n_cols, sizeof(char *))) ||
      !(t->right = hv_calloc(n_cols, sizeof(int)))) {
    hv_table_free(t);
    return NULL;
  }
  for (i = 0; i < n_cols; i++) {
    const char *h = headers[i];
    if (h[0] == '>') {
      t->right[i] = 1;
      h++;
    }
    if (!(t->headers[i] = hv_strdup(h))) {
      hv_table_free(t);
      return NULL;
    }
  }
  return t;
}

int hv_table_add(hv_table *t, const char *const *cells)
{
  size_t i;

  if (t->n_rows == t->cap_rows) {
    size_t cap = t->cap_rows ? t->cap_rows * 2 : 16;
    char **p = hv_realloc(t->cells, cap * t->n_cols * sizeof(char *));
    if (!p)
      return HV_ENOMEM;
    t->cells = p;
    t->cap_rows = cap;
  }
  for (i = 0; i < t->n_cols; i++) {
    char *c = hv_strdup(cells[i] ? cells[i] : "");
    if (!c) {
      while (i-- > 0)
        hv_free(t->cells[t->n_rows * t->n_cols + i]);
      return HV_ENOMEM;
    }
    t->cells[t->n_rows * t->n_cols + i] = c;
  }
  t->n_rows++;
  return 0;
}

int hv_table_addf(hv_table *t, const char *fmt, ...)
{
  const char **cells = NULL;
  char *line = NULL, *p;
  va_list ap;
  size_t i;
  int n, rc = HV_ENOMEM;

  va_start(ap, fmt);
  n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n < 0 || !(line = hv_malloc((size_t)n + 1)) ||
      !(cells = hv_calloc(t->n_cols, sizeof(*cells))))
    goto cleanup;
  va_start(ap, fmt);
  vsnprintf(line, (size_t)n + 1, fmt, ap);
  va_end(ap);
  /* Split in place at tabs; missing trailing cells stay empty. */
  p = line;
  for (i = 0; i < t->n_cols; i++) {
    char *tab = p ? strchr(p, '\t') : NULL;
    cells[i] = p ? p : "";
    if (tab)
      *tab = '\0';
    p = tab ? tab + 1 : NULL;
  }
  rc = hv_table_add(t, cells);

cleanup:
  hv_free(cells);
  hv_free(line);
  return rc;
}

static void print_cell(FILE *out, const char *s, size_t width, int right,
                       int last)
{
  size_t pad = width - display_width(s);

  if (right)
    fprintf(out, "%*s%s", (int)pad, "", s);
  else if (last)
    fputs(s, out);
  else
    fprintf(out, "%s%*s", s, (int)pad, "");
}

void hv_table_print(const hv_table *t, FILE *out)
{
  size_t *width = hv_calloc(t->n_cols, sizeof(size_t));
  size_t i, r, total = 0;

  if (!width)
    return;
  for (i = 0; i < t->n_cols; i++) {
    width[i] = display_width(t->headers[i]);
    for (r = 0; r < t->n_rows; r++) {
      size_t w = display_width(t->cells[r * t->n_cols + i]);
      if (w > width[i])
        width[i] = w;
    }
    total += width[i] + (i ? 2 : 0);
  }
  for (i = 0; i < t->n_cols; i++) {
    if (i)
      fputs("  ", out);
    print_cell(out, t->headers[i], width[i], t->right[i], i + 1 == t->n_cols);
  }
  fputc('\n', out);
  for (i = 0; i < total; i++)
    fputc('-', out);
  fputc('\n', out);
  for (r = 0; r < t->n_rows; r++) {
    for (i = 0; i < t->n_cols; i++) {
      if (i)
        fputs("  ", out);
      print_cell(out, t->cells[r * t->n_cols + i], width[i], t->right[i],
                 i + 1 == t->n_cols);
    }
    fputc('\n', out);
  }
  hv_free(width);
}

void hv_table_free(hv_table *t)
{
  size_t i;

  if (!t)
    return;
  for (i = 0; t->headers && i < t->n_cols; i++)
    hv_free(t->headers[i]);
  for (i = 0; i < t->n_rows * t->n_cols; i++)
    hv_free(t->cells[i]);
  hv_free(t->headers);
  hv_free(t->right);
  hv_free(t->cells);
  hv_free(t);
}
