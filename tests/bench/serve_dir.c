/*
 * Serves a directory over loopback HTTP with the project's static server
 * until SIGINT or SIGTERM, so that the benchmark can harvest generated
 * handover points from a separate process, with and without validators.
 *
 *   serve_dir ROOT PORT [--no-validators]
 *
 * PORT 0 picks a free port. Once listening, one line goes to stdout:
 * "serving ROOT on http://127.0.0.1:PORT (validators on|off)", which the
 * benchmark script waits for. On the signal the server stops and its
 * counters (requests, 304 answers, 404 answers) go to stdout as
 * "requests=N not_modified=N not_found=N".
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "demo/static_server.h"
#include "util/error.h"

static const char usage[] =
    "usage: serve_dir ROOT PORT [--no-validators]\n"
    "Serves ROOT on 127.0.0.1:PORT (0 picks a port) until SIGINT/SIGTERM.\n";

int main(int argc, char **argv)
{
  hv_error err = HV_ERROR_INIT;
  hv_static_server *srv = NULL;
  hv_static_stats stats;
  int validators = 1;
  sigset_t set;
  unsigned long port;
  char *end;
  int sig, rc;

  if (argc == 2 && strcmp(argv[1], "--help") == 0) {
    fputs(usage, stdout);
    return 0;
  }
  if (argc == 4 && strcmp(argv[3], "--no-validators") == 0) {
    validators = 0;
  } else if (argc != 3) {
    fprintf(stderr, "serve_dir: expected ROOT PORT [--no-validators]\n%s",
            usage);
    return 2;
  }
  errno = 0;
  port = strtoul(argv[2], &end, 10);
  if (errno || end == argv[2] || *end != '\0' || port > UINT16_MAX) {
    fprintf(stderr, "serve_dir: PORT: not a port number 0..65535: %s\n%s",
            argv[2], usage);
    return 2;
  }

  /*
   * Block the stop signals before libmicrohttpd starts its threads, so
   * they inherit the mask and the signal is only ever taken by sigwait
   * here; SIGPIPE is blocked as well for the same reason.
   */
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGPIPE);
  if ((rc = pthread_sigmask(SIG_BLOCK, &set, NULL)) != 0) {
    fprintf(stderr, "serve_dir: cannot block signals: %s\n", strerror(rc));
    return 1;
  }
  if (hv_static_server_start(&srv, argv[1], (uint16_t)port, validators,
                             &err) < 0) {
    fprintf(stderr, "serve_dir: %s\n", err.msg);
    return 1;
  }
  printf("serving %s on http://127.0.0.1:%u (validators %s)\n", argv[1],
         (unsigned)hv_static_server_port(srv), validators ? "on" : "off");
  fflush(stdout);

  sigdelset(&set, SIGPIPE);
  do {
    rc = sigwait(&set, &sig);
  } while (rc == EINTR);

  hv_static_server_stats(srv, &stats);
  hv_static_server_stop(srv);
  printf("requests=%llu not_modified=%llu not_found=%llu\n",
         (unsigned long long)stats.requests,
         (unsigned long long)stats.not_modified,
         (unsigned long long)stats.not_found);
  return rc == 0 ? 0 : 1;
}
