/*
 * Line logger (see log.h). Each line is formatted into a stack buffer and
 * written with a single write(2) so that lines from the loop thread and
 * pool threads never interleave mid-line.
 */
#include "util/log.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static atomic_int current_level = HV_LOG_WARN;
static atomic_int json_lines = 0;
static atomic_int progress_line = 0;

static const char *const level_names[] = {"error", "warn", "info", "debug"};

void hv_log_set_level(hv_log_level level)
{
  atomic_store(&current_level, (int)level);
}

hv_log_level hv_log_get_level(void)
{
  return (hv_log_level)atomic_load(&current_level);
}

void hv_log_set_json(int on)
{
  atomic_store(&json_lines, on);
}

void hv_log_set_progress_line(int on)
{
  atomic_store(&progress_line, on);
}

/* Appends s to out as the body of a JSON string. */
static size_t json_escape(char *out, size_t cap, const char *s)
{
  size_t n = 0;

  for (; *s && n + 7 < cap; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\') {
      out[n++] = '\\';
      out[n++] = (char)c;
    } else if (c < 0x20) {
      n += (size_t)snprintf(out + n, cap - n, "\\u%04x", c);
    } else {
      out[n++] = (char)c;
    }
  }
  out[n] = '\0';
  return n;
}

void hv_log(hv_log_level level, const char *fmt, ...)
{
  char msg[2048], line[4200];
  char stamp[32];
  struct timespec ts;
  struct tm tm;
  va_list ap;
  int n;

  if ((int)level > atomic_load(&current_level))
    return;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);

  clock_gettime(CLOCK_REALTIME, &ts);
  gmtime_r(&ts.tv_sec, &tm);
  strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);

  if (atomic_load(&json_lines)) {
    char escaped[sizeof(msg) * 2];
    json_escape(escaped, sizeof(escaped), msg);
    n = snprintf(line, sizeof(line),
                 "{\"time\":\"%s\",\"level\":\"%s\",\"msg\":\"%s\"}\n", stamp,
                 level_names[level], escaped);
  } else {
    n = snprintf(line, sizeof(line), "%s%s govharvest %s: %s\n",
                 atomic_load(&progress_line) ? "\r\033[K" : "", stamp,
                 level_names[level], msg);
  }
  if (n < 0)
    return;
  if ((size_t)n >= sizeof(line))
    n = (int)sizeof(line) - 1;
  if (write(STDERR_FILENO, line, (size_t)n) < 0)
    return;
}
