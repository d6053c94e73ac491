/*
 * Starting and querying a test Virtuoso (see virtuoso.h).
 *
 * Free ports are found by binding port 0 on loopback and closing the
 * socket again; the short window in which another process could take
 * the port is acceptable for tests, and a failed start says so.
 */
#include "tools/virtuoso.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tools/hvtest.h"
#include "util/alloc.h"

struct hv_virtuoso {
  char *dir;
  pid_t pid;
  unsigned sql_port, http_port;
};

int hv_virtuoso_available(void)
{
  return access(HV_VIRTUOSO_BINARY, X_OK) == 0;
}

static unsigned free_port(void)
{
  struct sockaddr_in a;
  socklen_t len = sizeof(a);
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  unsigned port = 0;

  if (fd < 0)
    return 0;
  memset(&a, 0, sizeof(a));
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
      getsockname(fd, (struct sockaddr *)&a, &len) == 0)
    port = ntohs(a.sin_port);
  close(fd);
  return port;
}

static size_t collect(char *ptr, size_t size, size_t nmemb, void *userdata)
{
  return hv_buf_add(userdata, ptr, size * nmemb) < 0 ? 0 : size * nmemb;
}

/* GETs url into out (when not NULL); returns the status or -1. */
static long http_get(const char *url, hv_buf *out)
{
  hv_buf sink = HV_BUF_INIT(1 << 20);
  CURL *e = curl_easy_init();
  long status = -1;

  if (!e)
    return -1;
  curl_easy_setopt(e, CURLOPT_URL, url);
  curl_easy_setopt(e, CURLOPT_NOPROXY, "*");
  curl_easy_setopt(e, CURLOPT_TIMEOUT, 30L);
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, collect);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, out ? out : &sink);
  if (curl_easy_perform(e) == CURLE_OK)
    curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
  curl_easy_cleanup(e);
  hv_buf_fini(&sink);
  return status;
}

static int write_ini(const hv_virtuoso *v, hv_error *err)
{
  char path[1024];
  FILE *fp;

  snprintf(path, sizeof(path), "%s/virtuoso.ini", v->dir);
  if (!(fp = fopen(path, "w")))
    return hv_error_set(err, HV_EIO, "virtuoso: cannot write %s: %s", path,
                        strerror(errno));
  fprintf(fp,
          "[Database]\n"
          "DatabaseFile = %s/virtuoso.db\n"
          "ErrorLogFile = %s/virtuoso.log\n"
          "LockFile = %s/virtuoso.lck\n"
          "TransactionFile = %s/virtuoso.trx\n"
          "xa_persistent_file = %s/virtuoso.pxa\n"
          "ErrorLogLevel = 7\n"
          "FileExtend = 200\n"
          "Striping = 0\n"
          "TempStorage = TempDatabase\n"
          "[TempDatabase]\n"
          "DatabaseFile = %s/virtuoso-temp.db\n"
          "TransactionFile = %s/virtuoso-temp.trx\n"
          "Striping = 0\n"
          "[Parameters]\n"
          "ServerPort = 127.0.0.1:%u\n"
          "DisableUnixSocket = 1\n"
          "CheckpointInterval = 60\n"
          "CaseMode = 2\n"
          "DirsAllowed = .\n"
          "NumberOfBuffers = 10000\n"
          "MaxDirtyBuffers = 6000\n"
          "[HTTPServer]\n"
          "ServerPort = 127.0.0.1:%u\n"
          "ServerRoot = %s\n"
          "ServerThreads = 10\n"
          "MaxKeepAlives = 10\n"
          "KeepAliveTimeout = 10\n"
          "[SPARQL]\n"
          "ResultSetMaxRows = 100000\n",
          v->dir, v->dir, v->dir, v->dir, v->dir, v->dir, v->dir, v->sql_port,
          v->http_port, v->dir);
  if (fclose(fp) != 0)
    return hv_error_set(err, HV_EIO, "virtuoso: cannot write %s", path);
  return 0;
}

int hv_virtuoso_start(hv_virtuoso **out, hv_error *err)
{
  hv_virtuoso *v = hv_calloc(1, sizeof(*v));
  struct timespec pause = {0, 200 * 1000000L};
  char url[128];
  int rc, tries, status;

  if (!v || !(v->dir = hv_test_tmpdir())) {
    hv_free(v);
    return hv_error_oom(err);
  }
  v->sql_port = free_port();
  v->http_port = free_port();
  if (!v->sql_port || !v->http_port || v->sql_port == v->http_port) {
    rc = hv_error_set(err, HV_EIO, "virtuoso: no free loopback ports");
    goto fail;
  }
  if ((rc = write_ini(v, err)) < 0)
    goto fail;
  if ((v->pid = fork()) < 0) {
    rc = hv_error_set(err, HV_EIO, "virtuoso: fork: %s", strerror(errno));
    goto fail;
  }
  if (v->pid == 0) {
    int fd = open("/dev/null", O_RDWR);

    if (chdir(v->dir) != 0)
      _exit(126);
    if (fd >= 0) {
      dup2(fd, 0);
      dup2(fd, 1);
      dup2(fd, 2);
    }
    execl(HV_VIRTUOSO_BINARY, HV_VIRTUOSO_BINARY, "-f", "-c", "virtuoso.ini",
          (char *)NULL);
    _exit(127);
  }
  hv_virtuoso_url(v, "/sparql?query=ASK%7B%7D", url, sizeof(url));
  for (tries = 0; tries < 450; tries++) {
    if (http_get(url, NULL) == 200) {
      *out = v;
      return 0;
    }
    if (waitpid(v->pid, &status, WNOHANG) == v->pid) {
      v->pid = 0;
      break;
    }
    nanosleep(&pause, NULL);
  }
  rc = hv_error_set(err, HV_EIO,
                    "virtuoso: not answering on 127.0.0.1:%u; see "
                    "%s/virtuoso.log",
                    v->http_port, v->dir);
  /* Keep the directory for the log. */
  if (v->pid > 0) {
    kill(v->pid, SIGKILL);
    waitpid(v->pid, &status, 0);
  }
  hv_free(v->dir);
  hv_free(v);
  return rc;

fail:
  hv_test_rmtree(v->dir);
  hv_free(v->dir);
  hv_free(v);
  return rc;
}

void hv_virtuoso_stop(hv_virtuoso *v)
{
  struct timespec pause = {0, 100 * 1000000L};
  int status, i;

  if (!v)
    return;
  if (v->pid > 0) {
    kill(v->pid, SIGTERM);
    for (i = 0; i < 150 && waitpid(v->pid, &status, WNOHANG) != v->pid; i++)
      nanosleep(&pause, NULL);
    if (i == 150) {
      kill(v->pid, SIGKILL);
      waitpid(v->pid, &status, 0);
    }
  }
  hv_test_rmtree(v->dir);
  hv_free(v->dir);
  hv_free(v);
}

char *hv_virtuoso_url(const hv_virtuoso *v, const char *path, char *buf,
                      size_t size)
{
  snprintf(buf, size, "http://127.0.0.1:%u%s", v->http_port, path);
  return buf;
}

int hv_virtuoso_select(const hv_virtuoso *v, const char *query, hv_buf *out,
                       hv_error *err)
{
  hv_buf url = HV_BUF_INIT(1 << 20);
  char base[128];
  char *q;
  long status;
  int rc = 0;

  if (!(q = curl_easy_escape(NULL, query, 0)))
    return hv_error_oom(err);
  hv_buf_addf(&url, "%s?format=text%%2Fcsv&query=%s",
              hv_virtuoso_url(v, "/sparql", base, sizeof(base)), q);
  curl_free(q);
  if ((status = http_get(url.ptr, out)) != 200)
    rc = hv_error_set(err, HV_EHTTP, "virtuoso: query answered %ld: %s",
                      status, out->ptr ? out->ptr : "");
  hv_buf_fini(&url);
  return rc;
}
