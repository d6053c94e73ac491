/*
 * The outbox table: operations queued per configured sink inside the
 * caller's transaction, handed out oldest first and never past an older
 * unfinished operation of the same dataset and sink, with backoff,
 * parking, retry, drop and the per-sink counts.
 */
#include "tools/hvtest.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "store/store.h"
#include "util/alloc.h"

typedef struct fixture {
  char *dir;
  hv_store *store;
  int64_t source_id;
} fixture;

static int setup(void **state)
{
  fixture *f = hv_calloc(1, sizeof(*f));
  hv_error err = HV_ERROR_INIT;
  hv_source src;
  char path[600];

  assert_non_null(f);
  f->dir = hv_test_tmpdir();
  snprintf(path, sizeof(path), "%s/store.db", f->dir);
  HV_ASSERT_OK(hv_store_open(&f->store, path, &err), &err);
  memset(&src, 0, sizeof(src));
  src.name = "by";
  src.state = "11";
  src.kind = "dcat-rdf";
  src.url = "http://example.org/catalog";
  src.enabled = 1;
  HV_ASSERT_OK(hv_store_source_add(f->store, &src, &err), &err);
  f->source_id = src.id;
  *state = f;
  return 0;
}

static int teardown(void **state)
{
  fixture *f = *state;

  hv_store_close(f->store);
  hv_test_rmtree(f->dir);
  hv_free(f->dir);
  hv_free(f);
  return 0;
}

static void enqueue(fixture *f, const char *key, hv_outbox_opcode op)
{
  hv_error err = HV_ERROR_INIT;

  HV_ASSERT_OK(hv_store_begin(f->store, &err), &err);
  HV_ASSERT_OK(hv_store_outbox_enqueue(f->store, f->source_id, "by", key, op,
                                       op == HV_OUTBOX_PUT ? "abc" : NULL,
                                       &err),
               &err);
  HV_ASSERT_OK(hv_store_commit(f->store, &err), &err);
}

/* The keys and ops of sink's ready operations at now, as "k1:put ...". */
static void ready(fixture *f, const char *sink, int64_t now, char *out,
                  size_t size, int64_t *first_seq)
{
  hv_outbox_op *ops = NULL;
  hv_error err = HV_ERROR_INIT;
  size_t n = 0, i, used = 0;

  HV_ASSERT_OK(hv_store_outbox_ready(f->store, sink, now, 10, &ops, &n, &err),
               &err);
  out[0] = '\0';
  for (i = 0; i < n; i++)
    used += (size_t)snprintf(out + used, size - used, "%s%s:%s", i ? " " : "",
                             ops[i].key,
                             ops[i].op == HV_OUTBOX_PUT ? "put" : "delete");
  if (first_seq)
    *first_seq = n ? ops[0].seq : 0;
  hv_outbox_ops_free(ops, n);
}

static void counts(fixture *f, const char *sink, int64_t *pending,
                   int64_t *parked, int64_t *done, int64_t *dropped)
{
  hv_outbox_count *c = NULL;
  hv_error err = HV_ERROR_INIT;
  size_t n = 0, i;

  *pending = *parked = *done = *dropped = -1;
  HV_ASSERT_OK(hv_store_outbox_counts(f->store, &c, &n, &err), &err);
  for (i = 0; i < n; i++)
    if (strcmp(c[i].sink, sink) == 0) {
      *pending = c[i].pending;
      *parked = c[i].parked;
      *done = c[i].done;
      *dropped = c[i].dropped;
    }
  hv_outbox_counts_free(c, n);
}

static void test_no_sinks_no_operations(void **state)
{
  fixture *f = *state;
  int64_t p, k, d, x;
  char got[256];

  enqueue(f, "k1", HV_OUTBOX_PUT);
  ready(f, "a", 0x7fffffffffffLL, got, sizeof(got), NULL);
  assert_string_equal(got, "");
  counts(f, "a", &p, &k, &d, &x);
  assert_int_equal(p, -1); /* sink a is unknown */
}

static void test_order_per_dataset(void **state)
{
  fixture *f = *state;
  const char *sinks[] = {"a", "b"};
  hv_error err = HV_ERROR_INIT;
  int64_t now = 1000000, seq, p, k, d, x;
  size_t n;
  char got[256];

  HV_ASSERT_OK(hv_store_outbox_set_sinks(f->store, sinks, 2, &err), &err);
  enqueue(f, "k1", HV_OUTBOX_PUT);
  enqueue(f, "k2", HV_OUTBOX_PUT);
  enqueue(f, "k1", HV_OUTBOX_DELETE);
  counts(f, "a", &p, &k, &d, &x);
  assert_int_equal(p, 3);
  counts(f, "b", &p, &k, &d, &x);
  assert_int_equal(p, 3);

  /* The delete of k1 waits for the put before it. */
  ready(f, "a", now, got, sizeof(got), &seq);
  assert_string_equal(got, "k1:put k2:put");

  /* A failed send waits out its backoff, and holds back its dataset. */
  HV_ASSERT_OK(hv_store_outbox_failed(f->store, seq, 0, now + 500, "HTTP 503",
                                      &err),
               &err);
  ready(f, "a", now, got, sizeof(got), NULL);
  assert_string_equal(got, "k2:put");
  ready(f, "a", now + 500, got, sizeof(got), NULL);
  assert_string_equal(got, "k1:put k2:put");

  /* Parked, it still holds back the delete. */
  HV_ASSERT_OK(hv_store_outbox_failed(f->store, seq, 1, 0, "invalid", &err),
               &err);
  ready(f, "a", now, got, sizeof(got), NULL);
  assert_string_equal(got, "k2:put");
  counts(f, "a", &p, &k, &d, &x);
  assert_int_equal(p, 2);
  assert_int_equal(k, 1);

  /* Sink b is not affected by a's troubles. */
  ready(f, "b", now, got, sizeof(got), NULL);
  assert_string_equal(got, "k1:put k2:put");

  /* Retried and confirmed: the delete comes next. */
  HV_ASSERT_OK(hv_store_outbox_retry(f->store, "a", 0, &n, &err), &err);
  assert_int_equal(n, 1);
  HV_ASSERT_OK(hv_store_outbox_done(f->store, seq, &err), &err);
  assert_int_equal(hv_store_outbox_done(f->store, seq, &err), HV_ENOTFOUND);
  ready(f, "a", now, got, sizeof(got), NULL);
  assert_string_equal(got, "k2:put k1:delete");
  counts(f, "a", &p, &k, &d, &x);
  assert_int_equal(p, 2);
  assert_int_equal(k, 0);
  assert_int_equal(d, 1);

  /* Dropping is per sink and final. */
  HV_ASSERT_OK(hv_store_outbox_drop(f->store, "b", 0, &n, &err), &err);
  assert_int_equal(n, 3);
  ready(f, "b", now, got, sizeof(got), NULL);
  assert_string_equal(got, "");
  counts(f, "b", &p, &k, &d, &x);
  assert_int_equal(p, 0);
  assert_int_equal(x, 3);

  /* A push makes every pending operation due at once. */
  HV_ASSERT_OK(hv_store_outbox_failed(f->store, seq + 2, 0, now + 99999,
                                      "timeout", &err),
               &err);
  ready(f, "a", now, got, sizeof(got), NULL);
  assert_string_equal(got, "k1:delete");
  HV_ASSERT_OK(hv_store_outbox_due_now(f->store, NULL, &err), &err);
  ready(f, "a", now, got, sizeof(got), NULL);
  assert_string_equal(got, "k2:put k1:delete");
}

static void test_rollback_takes_operations_along(void **state)
{
  fixture *f = *state;
  const char *sinks[] = {"a"};
  hv_error err = HV_ERROR_INIT;
  char got[256];

  HV_ASSERT_OK(hv_store_outbox_set_sinks(f->store, sinks, 1, &err), &err);
  HV_ASSERT_OK(hv_store_begin(f->store, &err), &err);
  HV_ASSERT_OK(hv_store_outbox_enqueue(f->store, f->source_id, "by", "k9",
                                       HV_OUTBOX_PUT, "h", &err),
               &err);
  hv_store_rollback(f->store);
  ready(f, "a", 0x7fffffffffffLL, got, sizeof(got), NULL);
  assert_string_equal(got, "");
  assert_int_equal(hv_store_outbox_enqueue(f->store, f->source_id, "by", NULL,
                                           HV_OUTBOX_PUT, NULL, &err),
                   HV_EINVAL);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_no_sinks_no_operations, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_order_per_dataset, setup, teardown),
      cmocka_unit_test_setup_teardown(test_rollback_takes_operations_along,
                                      setup, teardown),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
