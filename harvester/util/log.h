/*
 * Logging to stderr, one event per line. Levels filter; the format is
 * human text by default and JSON lines when the daemon asks for it.
 */
#ifndef HV_UTIL_LOG_H
#define HV_UTIL_LOG_H

typedef enum hv_log_level {
  HV_LOG_ERROR = 0,
  HV_LOG_WARN,
  HV_LOG_INFO,
  HV_LOG_DEBUG
} hv_log_level;

void hv_log_set_level(hv_log_level level);
hv_log_level hv_log_get_level(void);
void hv_log_set_json(int on);

/*
 * While a progress line is drawn on stderr (a terminal), each log line
 * first clears it, so that messages and the progress line never share a
 * line; the next progress update draws it again.
 */
void hv_log_set_progress_line(int on);

/* Writes one line at level; thread-safe (one write(2) per line). */
void hv_log(hv_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#define hv_log_error(...) hv_log(HV_LOG_ERROR, __VA_ARGS__)
#define hv_log_warn(...) hv_log(HV_LOG_WARN, __VA_ARGS__)
#define hv_log_info(...) hv_log(HV_LOG_INFO, __VA_ARGS__)
#define hv_log_debug(...) hv_log(HV_LOG_DEBUG, __VA_ARGS__)

#endif
