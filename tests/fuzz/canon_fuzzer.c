/*
 * Fuzz target for RDF Dataset Canonicalization (canon/rdfc10.c). The input
 * is parsed as N-Quads; what raptor refuses is not canonicalized. Change
 * detection rests on the canonical form, so the target checks the two
 * properties it relies on:
 *
 *  - idempotence: the canonical output, parsed again and canonicalized
 *    again, is byte-identical to itself;
 *  - order independence: the graph with its quads in reverse order gets
 *    the same canonical form, and so the same hash.
 *
 * A small work limit keeps every run fast; HV_ELIMIT (a graph built to be
 * expensive) and HV_ETOOBIG are accepted outcomes, any other failure is
 * not, because every quad raptor produces is a valid one.
 */
#include <stdint.h>
#include <string.h>

#include "canon/rdfc10.h"
#include "decode/rdfparse.h"
#include "fuzz_check.h"
#include "util/hash.h"

#define WORK_LIMIT 2000UL
#define OUT_MAX ((size_t)16 << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int canon(const hv_graph *g, hv_buf *out, hv_error *err)
{
  hv_rdfc10_opts opts = HV_RDFC10_OPTS_INIT;

  opts.work_limit = WORK_LIMIT;
  return hv_rdfc10_canonicalize_opts(g, &opts, out, err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  static int initialised;
  hv_graph g, again, reversed;
  hv_buf c1 = HV_BUF_INIT(OUT_MAX), c2 = HV_BUF_INIT(OUT_MAX);
  hv_buf c3 = HV_BUF_INIT(OUT_MAX);
  hv_error err = HV_ERROR_INIT;
  char h1[HV_SHA256_HEX_LEN + 1], h3[HV_SHA256_HEX_LEN + 1];
  size_t i;
  int rc;

  if (!initialised) {
    hv_rdf_global_init();
    initialised = 1;
  }
  hv_graph_init(&g);
  hv_graph_init(&again);
  hv_graph_init(&reversed);

  if (hv_rdf_parse(&g, "nquads", (const char *)data, size, NULL, &err) < 0)
    goto cleanup;

  rc = canon(&g, &c1, &err);
  if (rc == HV_ELIMIT || rc == HV_ETOOBIG || rc == HV_ENOMEM)
    goto cleanup;
  HV_FUZZ_CHECK(rc == 0, "canonicalize %zu quads: %s: %s", g.len,
                hv_err_name(rc), err.msg);

  /* Idempotence: the canonical document is itself valid N-Quads and
   * already canonical. */
  rc = hv_rdf_parse(&again, "nquads", c1.ptr, c1.len, NULL, &err);
  HV_FUZZ_CHECK(rc == 0, "canonical output does not parse: %s\n%s",
                err.msg, c1.ptr);
  rc = canon(&again, &c2, &err);
  HV_FUZZ_CHECK(rc == 0, "canonical output does not canonicalize: %s: %s",
                hv_err_name(rc), err.msg);
  HV_FUZZ_CHECK(c1.len == c2.len &&
                    (c1.len == 0 || memcmp(c1.ptr, c2.ptr, c1.len) == 0),
                "not idempotent:\n--- first\n%s--- second\n%s", c1.ptr,
                c2.ptr);

  /* Order independence. */
  for (i = g.len; i > 0; i--) {
    rc = hv_graph_add(&reversed, &g.quads[i - 1], &err);
    if (rc == HV_ENOMEM)
      goto cleanup;
    HV_FUZZ_CHECK(rc == 0, "copy quad: %s", err.msg);
  }
  rc = canon(&reversed, &c3, &err);
  HV_FUZZ_CHECK(rc == 0, "reversed graph: %s: %s", hv_err_name(rc),
                err.msg);
  hv_sha256_hex(c1.ptr, c1.len, h1);
  hv_sha256_hex(c3.ptr, c3.len, h3);
  HV_FUZZ_CHECK(strcmp(h1, h3) == 0,
                "hash depends on quad order:\n--- in order\n%s"
                "--- reversed\n%s", c1.ptr, c3.ptr);

cleanup:
  hv_buf_fini(&c1);
  hv_buf_fini(&c2);
  hv_buf_fini(&c3);
  hv_graph_fini(&g);
  hv_graph_fini(&again);
  hv_graph_fini(&reversed);
  return 0;
}
