/*
 * A small main() for the fuzz targets when they are built without
 * libFuzzer: it feeds every file named on the command line, or every
 * regular file inside a directory named there, to LLVMFuzzerTestOneInput
 * once. Built this way by gcc, in the normal and the sanitizer builds,
 * each saved corpus becomes a regression test that CTest runs under the
 * label "fuzz".
 *
 * Each input is copied into an allocation of exactly its size, so that
 * the address sanitizer sees a read past its end just as it would under
 * libFuzzer. A target reports a broken invariant by aborting; the driver
 * itself fails when it cannot read an input or finds nothing to replay,
 * because an empty replay would pass without testing anything.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util/alloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Reads path into a buffer of exactly its size (hv_free it). */
static int read_input(const char *path, uint8_t **out, size_t *len_out)
{
  FILE *f = NULL;
  uint8_t *data = NULL;
  struct stat st;
  size_t len;
  int rc = -1;

  if (!(f = fopen(path, "rb")) || fstat(fileno(f), &st) != 0) {
    fprintf(stderr, "%s: cannot open input\n", path);
    goto cleanup;
  }
  len = (size_t)st.st_size;
  /* One byte more than needed only for an empty file, which malloc may
   * otherwise answer with NULL. */
  if (!(data = hv_malloc(len ? len : 1))) {
    fprintf(stderr, "%s: out of memory for %zu bytes\n", path, len);
    goto cleanup;
  }
  if (len && fread(data, 1, len, f) != len) {
    fprintf(stderr, "%s: short read\n", path);
    goto cleanup;
  }
  *out = data;
  *len_out = len;
  data = NULL;
  rc = 0;

cleanup:
  hv_free(data);
  if (f)
    fclose(f);
  return rc;
}

static int replay_file(const char *path)
{
  uint8_t *data = NULL;
  size_t len = 0;

  if (read_input(path, &data, &len) < 0)
    return -1;
  LLVMFuzzerTestOneInput(data, len);
  hv_free(data);
  return 0;
}

static int cmp_names(const void *a, const void *b)
{
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * Replays every regular file in dir, in name order so that a failure is
 * reproducible, and adds the number replayed to *count.
 */
static int replay_dir(const char *dir, size_t *count)
{
  DIR *d = NULL;
  struct dirent *e;
  char **names = NULL, *path = NULL;
  size_t n = 0, cap = 0, i;
  int rc = 0;

  if (!(d = opendir(dir))) {
    fprintf(stderr, "%s: cannot open directory\n", dir);
    return -1;
  }
  while ((e = readdir(d))) {
    if (e->d_name[0] == '.')
      continue;
    if (n == cap) {
      char **grown;

      cap = cap ? cap * 2 : 64;
      if (!(grown = hv_realloc(names, cap * sizeof(*names)))) {
        rc = -1;
        goto cleanup;
      }
      names = grown;
    }
    if (!(names[n] = hv_strdup(e->d_name))) {
      rc = -1;
      goto cleanup;
    }
    n++;
  }
  if (n)
    qsort(names, n, sizeof(*names), cmp_names);
  for (i = 0; i < n; i++) {
    struct stat st;
    size_t plen = strlen(dir) + strlen(names[i]) + 2;

    if (!(path = hv_malloc(plen))) {
      rc = -1;
      goto cleanup;
    }
    snprintf(path, plen, "%s/%s", dir, names[i]);
    if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
      if (replay_file(path) < 0) {
        rc = -1;
        goto cleanup;
      }
      (*count)++;
    }
    hv_free(path);
    path = NULL;
  }

cleanup:
  if (rc < 0)
    fprintf(stderr, "%s: replay stopped\n", dir);
  hv_free(path);
  for (i = 0; i < n; i++)
    hv_free(names[i]);
  hv_free(names);
  closedir(d);
  return rc;
}

int main(int argc, char **argv)
{
  size_t count = 0;
  int i;

  if (argc < 2) {
    fprintf(stderr, "usage: %s CORPUS_DIR_OR_FILE...\n", argv[0]);
    return 2;
  }
  for (i = 1; i < argc; i++) {
    struct stat st;

    if (stat(argv[i], &st) != 0) {
      fprintf(stderr, "%s: no such file or directory\n", argv[i]);
      return 1;
    }
    if (S_ISDIR(st.st_mode) ? replay_dir(argv[i], &count) < 0
                            : replay_file(argv[i]) < 0)
      return 1;
    if (!S_ISDIR(st.st_mode))
      count++;
  }
  if (count == 0) {
    fprintf(stderr, "%s: no inputs to replay\n", argv[0]);
    return 1;
  }
  printf("%s: replayed %zu inputs without a failure\n", argv[0], count);
  return 0;
}
