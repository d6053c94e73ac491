/*
 * Deduplication's rules without a network: identifier normalisation,
 * dct:modified as an instant, the winner matrix (every combination of
 * modified present/absent/equal/older/newer, priority, arrival and same
 * IRI vs same identifier), a property test over random permutations, the
 * store-level resolve with promotion, quarantine and the change list, and
 * the near-duplicate features.
 */
#include "tools/hvtest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dedup/dedup.h"
#include "store/store.h"
#include "util/alloc.h"
#include "util/buf.h"

/* ---- normalisation ----------------------------------------------------- */

static void normalisation_table(void **state)
{
  static const struct {
    const char *raw, *want;
  } cases[] = {
      {"ABC-123", "abc-123"},
      {"  abc   123\t", "abc 123"},
      {"abc\n\n123", "abc 123"},
      {"http://Daten.Example/ds/1", "daten.example/ds/1"},
      {"https://daten.example/ds/1/", "daten.example/ds/1"},
      {"https://daten.example:443/ds/1", "daten.example/ds/1"},
      {"http://daten.example:80/ds/1", "daten.example/ds/1"},
      {"http://daten.example:8080/ds/1", "daten.example:8080/ds/1"},
      {"https://daten.example/ds/1/?a=1", "daten.example/ds/1?a=1"},
      {"https://daten.example/ds#Part", "daten.example/ds#part"},
      {"https://daten.example/a%2fb", "daten.example/a%2Fb"},
      {"urn:uuid:0A1B", "urn:uuid:0a1b"},
      {"ftp://x.example/", "ftp://x.example/"},
      {"äÖ-1", "äÖ-1"},
  };
  hv_buf b = HV_BUF_INIT(4096);
  hv_error err = HV_ERROR_INIT;
  size_t i;

  for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    hv_buf_reset(&b);
    HV_ASSERT_OK(hv_dedup_normalize_id(cases[i].raw, &b, &err), &err);
    if (strcmp(b.ptr, cases[i].want) != 0)
      fail_msg("normalise '%s': got '%s', want '%s'", cases[i].raw, b.ptr,
               cases[i].want);
  }
  hv_buf_reset(&b);
  assert_int_equal(hv_dedup_normalize_id(" \t ", &b, &err), HV_EINVAL);
  assert_non_null(strstr(err.msg, "empty after normalisation"));
  hv_buf_fini(&b);
}

static void modified_is_an_instant(void **state)
{
  static const struct {
    const char *s;
    int ok;
    int64_t seconds; /* since the epoch, UTC */
  } cases[] = {
      {"1970-01-01", 1, 0},
      {"2024-02-29", 1, 1709164800},
      {"2023-02-29", 0, 0},
      {"2024-01-01T12:00:00+02:00", 1, 1704103200},
      {"2024-01-01T10:00:00", 1, 1704103200},
      {"2024-01-01T10:00:00Z", 1, 1704103200},
      {"2024-01-01T10:00", 1, 1704103200},
      {" 2024-01-01T05:30:00-04:30 ", 1, 1704103200},
      {"2024-01-01T24:00:00", 1, 1704153600},
      {"2024-13-01", 0, 0},
      {"2024-01-01T25:00:00", 0, 0},
      {"01.02.2024", 0, 0},
      {"2024-01-01T10:00:00+2", 0, 0},
      {"", 0, 0},
  };
  size_t i;
  int64_t t, frac;

  for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    int rc = hv_dedup_parse_modified(cases[i].s, &t);

    if ((rc == 0) != cases[i].ok)
      fail_msg("'%s': parsed %d, expected %d", cases[i].s, rc == 0,
               cases[i].ok);
    if (rc == 0 && t != cases[i].seconds * 1000000)
      fail_msg("'%s': %lld us, expected %lld s", cases[i].s, (long long)t,
               (long long)cases[i].seconds);
  }
  assert_int_equal(hv_dedup_parse_modified(NULL, &t), -1);
  assert_int_equal(hv_dedup_parse_modified("2024-01-01T10:00:00.25Z", &frac),
                   0);
  assert_int_equal(frac, (int64_t)1704103200 * 1000000 + 250000);
}

/* ---- the winner matrix ------------------------------------------------- */

/*
 * The modified values of the two copies: each case names what a's and
 * b's values are; "equal" uses two spellings of one instant.
 */
typedef enum mod_case {
  MOD_BOTH_ABSENT,
  MOD_A_ONLY,
  MOD_B_ONLY,
  MOD_EQUAL,
  MOD_A_NEWER,
  MOD_B_NEWER,
  MOD_CASES
} mod_case;

static void set_modified(mod_case m, const char **a, const char **b)
{
  static const char *older = "2025-03-01", *newer = "2025-03-01T00:00:01Z";

  *a = *b = NULL;
  switch (m) {
  case MOD_BOTH_ABSENT: break;
  case MOD_A_ONLY: *a = older; break;
  case MOD_B_ONLY: *b = older; break;
  case MOD_EQUAL:
    *a = "2025-03-01T02:00:00+02:00";
    *b = "2025-03-01T00:00:00";
    break;
  case MOD_A_NEWER: *a = newer; *b = older; break;
  case MOD_B_NEWER: *a = older; *b = newer; break;
  default: break;
  }
}

/*
 * The expected winner, written out from the rules of the issue rather
 * than by calling the code under test: 0 for a, 1 for b.
 */
static int expected_winner(mod_case m, int pa, int pb, int64_t arr_a,
                           int64_t arr_b)
{
  if (m == MOD_A_ONLY || m == MOD_A_NEWER)
    return 0;
  if (m == MOD_B_ONLY || m == MOD_B_NEWER)
    return 1;
  if (pa != pb)
    return pa > pb ? 0 : 1;
  if (arr_a != arr_b)
    return arr_a < arr_b ? 0 : 1;
  return 0; /* source name "a-src" < "b-src" */
}

static void winner_matrix(void **state)
{
  static const int prios[][2] = {{0, 0}, {5, 0}, {0, 5}};
  static const int64_t arrivals[][2] = {{1, 1}, {1, 2}, {2, 1}};
  hv_error err = HV_ERROR_INIT;
  int m, p, a, same_uri, order, cases = 0;

  for (m = 0; m < MOD_CASES; m++)
    for (p = 0; p < 3; p++)
      for (a = 0; a < 3; a++)
        for (same_uri = 0; same_uri < 2; same_uri++)
          for (order = 0; order < 2; order++) {
            hv_dedup_copy c[2], in[2];
            hv_dedup_groups g;
            int want = expected_winner((mod_case)m, prios[p][0],
                                       prios[p][1], arrivals[a][0],
                                       arrivals[a][1]);
            int64_t want_id;
            size_t wi;

            memset(c, 0, sizeof(c));
            c[0].id = 10;
            c[0].source = "a-src";
            c[0].key = "k1";
            c[1].id = 20;
            c[1].source = "b-src";
            c[1].key = "k2";
            set_modified((mod_case)m, &c[0].modified, &c[1].modified);
            c[0].priority = prios[p][0];
            c[1].priority = prios[p][1];
            c[0].arrival = arrivals[a][0];
            c[1].arrival = arrivals[a][1];
            if (same_uri) {
              /* One IRI, unrelated identifiers. */
              c[0].uri = c[1].uri = "http://example.org/ds/1";
              c[0].identifier = "id-a";
              c[1].identifier = "id-b";
            } else {
              /* Different IRIs, one identifier in two spellings. */
              c[0].uri = "http://a.example/ds/1";
              c[1].uri = "http://b.example/ds/1";
              c[0].identifier = "https://ID.example/ds/1/";
              c[1].identifier = "http://id.example/ds/1";
            }
            in[0] = c[order];
            in[1] = c[1 - order];
            HV_ASSERT_OK(hv_dedup_group(in, 2, &g, &err), &err);
            assert_int_equal(g.n_groups, 1);
            assert_int_equal(g.group[0], g.group[1]);
            wi = g.group[0];
            want_id = c[want].id;
            if (in[wi].id != want_id)
              fail_msg("modified case %d, priorities %d/%d, arrivals "
                       "%lld/%lld, %s, order %d: winner %lld, want %lld",
                       m, prios[p][0], prios[p][1],
                       (long long)arrivals[a][0], (long long)arrivals[a][1],
                       same_uri ? "same IRI" : "same identifier", order,
                       (long long)in[wi].id, (long long)want_id);
            /* The identifier spellings differ: reported, not silent. */
            assert_int_equal(g.n_collisions, same_uri ? 0 : 1);
            assert_int_equal(hv_dedup_compare(&c[want], &c[1 - want]), -1);
            assert_int_equal(hv_dedup_compare(&c[1 - want], &c[want]), 1);
            hv_dedup_groups_fini(&g);
            cases++;
          }
  assert_int_equal(cases, MOD_CASES * 3 * 3 * 2 * 2);
}

static void unrelated_copies_stay_apart(void **state)
{
  hv_dedup_copy c[3];
  hv_dedup_groups g;
  hv_error err = HV_ERROR_INIT;

  memset(c, 0, sizeof(c));
  c[0] = (hv_dedup_copy){1, "a", "k", "http://x.example/1", "id-1", NULL, 0,
                         1};
  c[1] = (hv_dedup_copy){2, "b", "k", "http://x.example/2", "id-2", NULL, 0,
                         1};
  /* No IRI and an identifier that is only white space: alone. */
  c[2] = (hv_dedup_copy){3, "c", "k", NULL, "   ", NULL, 0, 1};
  HV_ASSERT_OK(hv_dedup_group(c, 3, &g, &err), &err);
  assert_int_equal(g.n_groups, 3);
  assert_int_equal(g.group[0], 0);
  assert_int_equal(g.group[1], 1);
  assert_int_equal(g.group[2], 2);
  hv_dedup_groups_fini(&g);
}

static void grouping_is_transitive(void **state)
{
  hv_dedup_copy c[3];
  hv_dedup_groups g;
  hv_error err = HV_ERROR_INIT;

  memset(c, 0, sizeof(c));
  /* a and b share an IRI, b and c an identifier: one dataset. */
  c[0] = (hv_dedup_copy){1, "a", "k", "http://x.example/1", "one", NULL, 0,
                         1};
  c[1] = (hv_dedup_copy){2, "b", "k", "http://x.example/1", "two", NULL, 0,
                         1};
  c[2] = (hv_dedup_copy){3, "c", "k", "http://y.example/9", "TWO",
                         "2020-01-01", 0, 1};
  HV_ASSERT_OK(hv_dedup_group(c, 3, &g, &err), &err);
  assert_int_equal(g.n_groups, 1);
  assert_int_equal(g.group[0], 2);
  assert_int_equal(g.group[1], 2);
  assert_int_equal(g.n_collisions, 1);
  assert_string_equal(g.collisions[0].normalised, "two");
  hv_dedup_groups_fini(&g);
}

/* ---- property: the order of the input does not matter ------------------ */

static uint64_t rng_next(uint64_t *s)
{
  *s ^= *s << 13;
  *s ^= *s >> 7;
  *s ^= *s << 17;
  return *s;
}

static void winners_ignore_input_order(void **state)
{
  enum { N = 300, ROUNDS = 40 };
  static const char *const mods[] = {NULL, "2024-05-01", "2024-05-02",
                                     "2024-05-01T02:00:00+02:00",
                                     "2024-05-02T00:00:00Z", "not a date"};
  static const char *const sources[] = {"s1", "s2", "s3", "s4"};
  hv_dedup_copy *base = hv_calloc(N, sizeof(*base));
  hv_dedup_copy *perm = hv_calloc(N, sizeof(*perm));
  int64_t *want = hv_calloc(N, sizeof(*want));
  int64_t *got = hv_calloc(N, sizeof(*got));
  char (*uris)[32] = hv_calloc(N, sizeof(*uris));
  char (*ids)[32] = hv_calloc(N, sizeof(*ids));
  char (*keys)[32] = hv_calloc(N, sizeof(*keys));
  hv_error err = HV_ERROR_INIT;
  uint64_t rng = 0x9e3779b97f4a7c15ULL;
  size_t i, r, winners = 0;

  assert_true(base && perm && want && got && uris && ids && keys);
  for (i = 0; i < N; i++) {
    hv_dedup_copy *c = &base[i];

    c->id = (int64_t)i + 1;
    c->source = sources[rng_next(&rng) % 4];
    snprintf(keys[i], sizeof(keys[i]), "k%zu", i);
    c->key = keys[i];
    snprintf(uris[i], sizeof(uris[i]), "http://x.example/%u",
             (unsigned)(rng_next(&rng) % 500));
    c->uri = uris[i];
    /* Identifiers from a small pool, in varying case: many groups. */
    snprintf(ids[i], sizeof(ids[i]), rng_next(&rng) % 2 ? "ID-%u" : "id-%u",
             (unsigned)(rng_next(&rng) % 500));
    c->identifier = ids[i];
    c->modified = mods[rng_next(&rng) % 6];
    c->priority = (int)(rng_next(&rng) % 3);
    c->arrival = (int64_t)(rng_next(&rng) % 3);
  }
  for (r = 0; r < ROUNDS; r++) {
    hv_dedup_groups g;

    memcpy(perm, base, N * sizeof(*perm));
    /* Fisher-Yates shuffle; round 0 keeps the input order. */
    for (i = N - 1; r > 0 && i > 0; i--) {
      size_t j = (size_t)(rng_next(&rng) % (i + 1));
      hv_dedup_copy t = perm[i];

      perm[i] = perm[j];
      perm[j] = t;
    }
    HV_ASSERT_OK(hv_dedup_group(perm, N, &g, &err), &err);
    for (i = 0; i < N; i++)
      got[perm[i].id - 1] = perm[g.group[i]].id;
    if (r == 0) {
      memcpy(want, got, N * sizeof(*want));
      for (i = 0; i < N; i++)
        winners += want[i] == (int64_t)i + 1;
      /* The pools are small: there must be real groups to decide. */
      assert_true(winners < N / 2);
      assert_true(winners > 5);
    } else {
      for (i = 0; i < N; i++)
        if (got[i] != want[i])
          fail_msg("round %zu: copy %zu won by %lld, first round %lld", r,
                   i + 1, (long long)got[i], (long long)want[i]);
    }
    hv_dedup_groups_fini(&g);
  }
  hv_free(base);
  hv_free(perm);
  hv_free(want);
  hv_free(got);
  hv_free(uris);
  hv_free(ids);
  hv_free(keys);
}

/* ---- the resolve against a real store ---------------------------------- */

typedef struct store_fx {
  char *dir;
  char path[512];
  hv_store *s;
} store_fx;

static int store_setup(void **state)
{
  store_fx *f = hv_calloc(1, sizeof(*f));
  hv_error err = HV_ERROR_INIT;

  assert_non_null(f);
  f->dir = hv_test_tmpdir();
  assert_non_null(f->dir);
  snprintf(f->path, sizeof(f->path), "%s/store.db", f->dir);
  HV_ASSERT_OK(hv_store_open(&f->s, f->path, &err), &err);
  *state = f;
  return 0;
}

static int store_teardown(void **state)
{
  store_fx *f = *state;

  hv_store_close(f->s);
  hv_test_rmtree(f->dir);
  hv_free(f->dir);
  hv_free(f);
  return 0;
}

static int64_t add_source(hv_store *s, const char *name, int priority)
{
  hv_source src;
  hv_error err = HV_ERROR_INIT;

  memset(&src, 0, sizeof(src));
  src.name = (char *)name;
  src.state = "05";
  src.kind = "dcat-rdf";
  src.url = "https://portal.example/catalog.ttl";
  src.priority = priority;
  src.enabled = 1;
  HV_ASSERT_OK(hv_store_source_add(s, &src, &err), &err);
  return src.id;
}

static int64_t begin_run(hv_store *s, int64_t source_id)
{
  hv_error err = HV_ERROR_INIT;
  int64_t run;
  hv_ledger_counts zero;

  memset(&zero, 0, sizeof(zero));
  HV_ASSERT_OK(hv_store_run_begin(s, source_id, &run, &err), &err);
  HV_ASSERT_OK(hv_store_ledger_add(s, run, source_id, "05", &zero, &err),
               &err);
  return run;
}

static void put(hv_store *s, int64_t src, int64_t run, const char *key,
                const char *id, const char *modified)
{
  hv_dataset_row d;
  hv_change ch;
  hv_error err = HV_ERROR_INIT;
  char uri[128];

  memset(&d, 0, sizeof(d));
  snprintf(uri, sizeof(uri), "http://%s.example/ds", key);
  d.key = key;
  d.uri = uri;
  d.identifier = id;
  d.modified = modified;
  d.hash = key;
  d.payload = "<http://x.example/a> <http://x.example/b> \"c\" .\n";
  d.payload_len = strlen(d.payload);
  d.page_url = "https://portal.example/catalog.ttl";
  HV_ASSERT_OK(hv_store_begin(s, &err), &err);
  HV_ASSERT_OK(hv_store_dataset_upsert(s, src, run, &d, &ch, &err), &err);
  HV_ASSERT_OK(hv_store_commit(s, &err), &err);
}

typedef struct change_log {
  hv_buf text;
} change_log;

static int log_change(const hv_dedup_change *c, void *payload)
{
  change_log *l = payload;

  hv_buf_addf(&l->text, "%s %s %s\n", c->published ? "put" : "withdraw",
              c->source, c->to_state);
  return 0;
}

/* State of the copy (source, key) as stored. */
static void expect_state(hv_store *s, const char *key, const char *source,
                         const char *want)
{
  hv_copy_row *c = NULL;
  hv_transition_row *t = NULL;
  size_t nc = 0, nt = 0, i;
  hv_error err = HV_ERROR_INIT;
  int found = 0;

  HV_ASSERT_OK(hv_store_dataset_history(s, key, &c, &nc, &t, &nt, &err),
               &err);
  for (i = 0; i < nc; i++) {
    if (strcmp(c[i].source, source) == 0) {
      found = 1;
      if (strcmp(c[i].state, want) != 0)
        fail_msg("%s of %s: state %s, want %s", key, source, c[i].state,
                 want);
    }
  }
  if (!found)
    fail_msg("no copy of %s from %s", key, source);
  hv_copy_rows_free(c, nc);
  hv_transition_rows_free(t, nt);
}

static void resolve_promotes_when_the_winner_vanishes(void **state)
{
  store_fx *f = *state;
  hv_error err = HV_ERROR_INIT;
  int64_t a = add_source(f->s, "land", 0), b = add_source(f->s, "kreis", 0);
  int64_t ra, rb, ra2;
  hv_dedup_run runs[2];
  hv_dedup_stats st;
  change_log log = {HV_BUF_INIT(1 << 16)};
  hv_copy_row *c = NULL;
  hv_transition_row *t = NULL;
  size_t nc = 0, nt = 0, deleted = 0;
  int64_t superseded = -1;

  /* One dataset from two sources: land's copy is newer. */
  ra = begin_run(f->s, a);
  rb = begin_run(f->s, b);
  put(f->s, a, ra, "land-1", "DS-1", "2025-06-01");
  put(f->s, b, rb, "kreis-1", "ds-1", "2025-05-01");
  put(f->s, b, rb, "kreis-2", "ds-2", NULL);
  runs[0] = (hv_dedup_run){a, ra};
  runs[1] = (hv_dedup_run){b, rb};
  HV_ASSERT_OK(hv_dedup_resolve(f->s, runs, 2, log_change, &log, &st, &err),
               &err);
  assert_int_equal(st.copies, 3);
  assert_int_equal(st.groups, 2);
  assert_int_equal(st.duplicates, 1);
  assert_int_equal(st.superseded, 1);
  assert_int_equal(st.collisions, 1);
  /* New copies count as active: only the one superseded changes. */
  assert_string_equal(log.text.ptr, "withdraw kreis superseded\n");
  assert_int_equal(st.transitions, 1);
  expect_state(f->s, "DS-1", "land", "active");
  expect_state(f->s, "DS-1", "kreis", "superseded");
  HV_ASSERT_OK(hv_store_ledger_superseded(f->s, rb, &superseded, &err), &err);
  assert_int_equal(superseded, 1);
  HV_ASSERT_OK(hv_store_ledger_superseded(f->s, ra, &superseded, &err), &err);
  assert_int_equal(superseded, 0);

  /* A second resolve with nothing new writes nothing. */
  hv_buf_reset(&log.text);
  HV_ASSERT_OK(hv_dedup_resolve(f->s, NULL, 0, log_change, &log, &st, &err),
               &err);
  assert_int_equal(st.transitions, 0);
  assert_int_equal(log.text.len, 0);

  /* land's next complete run no longer has it: deleted, kreis promoted. */
  ra2 = begin_run(f->s, a);
  HV_ASSERT_OK(hv_store_begin(f->s, &err), &err);
  HV_ASSERT_OK(hv_store_dataset_delete_unseen(f->s, a, ra2, &deleted, &err),
               &err);
  HV_ASSERT_OK(hv_store_commit(f->s, &err), &err);
  assert_int_equal(deleted, 1);
  runs[0] = (hv_dedup_run){a, ra2};
  hv_buf_reset(&log.text);
  HV_ASSERT_OK(hv_dedup_resolve(f->s, runs, 1, log_change, &log, &st, &err),
               &err);
  assert_int_equal(st.promoted, 1);
  assert_string_equal(log.text.ptr, "put kreis active\n"
                                    "withdraw land deleted\n");
  expect_state(f->s, "DS-1", "kreis", "active");
  expect_state(f->s, "DS-1", "land", "deleted");

  /* The history names runs and reasons, oldest first. */
  HV_ASSERT_OK(hv_store_dataset_history(f->s, " Ds-1", &c, &nc, &t, &nt,
                                        &err),
               &err);
  assert_int_equal(nc, 2);
  assert_int_equal(nt, 3);
  assert_string_equal(t[0].from_state, "active");
  assert_string_equal(t[0].to_state, "superseded");
  assert_string_equal(t[0].reason, "superseded by land land-1 "
                                   "(newer modified)");
  assert_int_equal(t[0].run_id, rb);
  assert_string_equal(t[1].from_state, "active");
  assert_string_equal(t[1].to_state, "deleted");
  assert_int_equal(t[1].run_id, ra2);
  assert_string_equal(t[2].from_state, "superseded");
  assert_string_equal(t[2].to_state, "active");
  assert_string_equal(t[2].reason, "promoted: best remaining of 1 copies");
  assert_int_equal(t[2].run_id, ra2);
  hv_copy_rows_free(c, nc);
  hv_transition_rows_free(t, nt);
  hv_buf_fini(&log.text);
}

static void quarantine_list_release_restore(void **state)
{
  store_fx *f = *state;
  hv_error err = HV_ERROR_INIT;
  int64_t a = add_source(f->s, "stadt", 0), b = add_source(f->s, "land", 0);
  int64_t r1, r2, rb;
  hv_dedup_run runs[2];
  hv_quarantine_row *q = NULL;
  size_t nq = 0, n = 0;

  r1 = begin_run(f->s, a);
  rb = begin_run(f->s, b);
  put(f->s, a, r1, "s1", "x-1", "2025-01-02");
  put(f->s, a, r1, "s2", "x-2", NULL);
  put(f->s, a, r1, "s3", "x-3", NULL);
  put(f->s, b, rb, "l1", "x-1", "2025-01-01");
  runs[0] = (hv_dedup_run){a, r1};
  runs[1] = (hv_dedup_run){b, rb};
  HV_ASSERT_OK(hv_dedup_resolve(f->s, runs, 2, NULL, NULL, NULL, &err), &err);
  expect_state(f->s, "x-1", "land", "superseded");

  /* A held run quarantines all three: still published, flagged. */
  r2 = begin_run(f->s, a);
  HV_ASSERT_OK(hv_store_begin(f->s, &err), &err);
  HV_ASSERT_OK(hv_store_dataset_quarantine_unseen(f->s, a, r2, "held: test",
                                                  &n, &err),
               &err);
  HV_ASSERT_OK(hv_store_commit(f->s, &err), &err);
  assert_int_equal(n, 3);
  runs[0] = (hv_dedup_run){a, r2};
  HV_ASSERT_OK(hv_dedup_resolve(f->s, runs, 1, NULL, NULL, NULL, &err), &err);
  expect_state(f->s, "x-1", "stadt", "quarantined");
  expect_state(f->s, "x-1", "land", "superseded");
  HV_ASSERT_OK(hv_store_quarantine_list(f->s, NULL, &q, &nq, &err), &err);
  assert_int_equal(nq, 3);
  assert_string_equal(q[0].source, "stadt");
  assert_string_equal(q[0].key, "s1");
  assert_int_equal(q[0].run_id, r2);
  assert_string_equal(q[0].reason, "held: test");
  hv_quarantine_rows_free(q, nq);

  /* Release one: deleted now, and land's copy is promoted. */
  HV_ASSERT_OK(hv_store_quarantine_release(f->s, "stadt", "s1", &n, &err),
               &err);
  assert_int_equal(n, 1);
  HV_ASSERT_OK(hv_dedup_resolve(f->s, NULL, 0, NULL, NULL, NULL, &err), &err);
  expect_state(f->s, "x-1", "stadt", "deleted");
  expect_state(f->s, "x-1", "land", "active");
  /* Restore the rest of the source. */
  HV_ASSERT_OK(hv_store_quarantine_restore(f->s, "stadt", NULL, &n, &err),
               &err);
  assert_int_equal(n, 2);
  expect_state(f->s, "x-2", "stadt", "active");
  assert_int_equal(hv_store_quarantine_release(f->s, "stadt", NULL, &n, &err),
                   HV_ENOTFOUND);
  assert_non_null(strstr(err.msg, "no quarantined dataset matches"));
  {
    hv_copy_row *c = NULL;
    hv_transition_row *t = NULL;
    size_t nc = 0, nt = 0;

    assert_int_equal(hv_store_dataset_history(f->s, "nope", &c, &nc, &t,
                                              &nt, &err),
                     HV_ENOTFOUND);
    assert_non_null(strstr(err.msg, "'nope'"));
    assert_null(c);
  }
}

/* ---- near-duplicate features ------------------------------------------ */

static void features_from_canonical_ntriples(void **state)
{
  static const char nt[] =
      "<http://a.example/ds> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
      " <http://www.w3.org/ns/dcat#Dataset> .\n"
      "<http://a.example/ds> <http://purl.org/dc/terms/title>"
      " \"Baumkataster der Stadt\"@de .\n"
      "<http://a.example/ds> <http://purl.org/dc/terms/publisher> _:c14n0 .\n"
      "_:c14n0 <http://xmlns.com/foaf/0.1/name> \"Grünflächenamt\" .\n"
      "<http://a.example/ds> <http://www.w3.org/ns/dcat#distribution>"
      " _:c14n1 .\n"
      "_:c14n1 <http://purl.org/dc/terms/title> \"CSV-Datei\" .\n"
      "_:c14n1 <http://www.w3.org/ns/dcat#accessURL>"
      " <http://files.example/baum.csv> .\n";
  static const char other[] =
      "<http://b.example/x> <http://purl.org/dc/terms/title>"
      " \"baumkataster  der STADT\" .\n"
      "<http://b.example/x> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
      " <http://www.w3.org/ns/dcat#Dataset> .\n"
      "<http://b.example/x> <http://purl.org/dc/terms/publisher> _:c14n5 .\n"
      "_:c14n5 <http://xmlns.com/foaf/0.1/name> \"Grünflächenamt\" .\n"
      "_:c14n2 <http://www.w3.org/ns/dcat#accessURL>"
      " <http://files.example/baum.csv> .\n";
  uint64_t *fa = NULL, *fb = NULL;
  size_t na = 0, nb = 0, i, common = 0, j = 0;
  char *title = NULL;
  hv_error err = HV_ERROR_INIT;

  HV_ASSERT_OK(hv_neardup_features(nt, strlen(nt), &fa, &na, &title, &err),
               &err);
  assert_string_equal(title, "Baumkataster der Stadt");
  /* 3 words + 2 word pairs + publisher + 1 URL; the distribution's
   * title is not the dataset's. */
  assert_int_equal(na, 7);
  for (i = 1; i < na; i++)
    assert_true(fa[i - 1] < fa[i]);
  HV_ASSERT_OK(hv_neardup_features(other, strlen(other), &fb, &nb, NULL,
                                   &err),
               &err);
  assert_int_equal(nb, 7);
  for (i = 0; i < na && j < nb;) {
    if (fa[i] == fb[j]) {
      common++;
      i++;
      j++;
    } else if (fa[i] < fb[j]) {
      i++;
    } else {
      j++;
    }
  }
  assert_int_equal(common, 7);
  hv_free(fa);
  hv_free(fb);
  hv_free(title);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(normalisation_table),
      cmocka_unit_test(modified_is_an_instant),
      cmocka_unit_test(winner_matrix),
      cmocka_unit_test(unrelated_copies_stay_apart),
      cmocka_unit_test(grouping_is_transitive),
      cmocka_unit_test(winners_ignore_input_order),
      cmocka_unit_test_setup_teardown(
          resolve_promotes_when_the_winner_vanishes, store_setup,
          store_teardown),
      cmocka_unit_test_setup_teardown(quarantine_list_release_restore,
                                      store_setup, store_teardown),
      cmocka_unit_test(features_from_canonical_ntriples),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
