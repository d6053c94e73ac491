/*
 * The harvest run (see harvest.h).
 *
 * A page goes fetch (loop) → decode_work (pool: hash the body, parse,
 * find the next page, split) → canon_work (pool: assess, i.e. map, then
 * canonical form of the mapped graph and compression per dataset) →
 * apply (loop: one store transaction with the datasets' findings). The
 * next page's fetch starts when a page is decoded, so the pages of one
 * source overlap; page_settle() applies them in paging order all the
 * same. Pool work touches only its own page_job. The store is used only
 * from the loop thread, so a page's datasets and the ledger row counting
 * them commit together; checkpoints run on the pool through a second
 * connection (see store.h).
 *
 * Failure isolation: a failed page ends the paging of its source and
 * marks the source's run failed (so nothing is deleted); other sources
 * go on. A rejected dataset is counted and logged; its page goes on.
 */
#include "harvest/harvest.h"

#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "canon/rdfc10.h"
#include "decode/page.h"
#include "decode/rdfparse.h"
#include "harvest/assess.h"
#include "dedup/dedup.h"
#include "reconcile/reconcile.h"
#include "util/alloc.h"
#include "util/compress.h"
#include "util/hash.h"
#include "util/log.h"
#include "util/strset.h"

#define container_of(ptr, type, member) \
  ((type *)((char *)(ptr)-offsetof(type, member)))

/*
 * A page whose body is unchanged is not decoded again, which is only right
 * while decoding would give the same datasets. The stored content hash
 * therefore carries the version of the page pipeline (decode, split, map,
 * canonical form); raising it makes the next run process every page. p2:
 * datasets are mapped before they are hashed.
 *
 * The profile is part of the pipeline too: the prefix is the version,
 * a dot and the first PROFILE_DIGEST_LEN hex digits of the source's
 * profile digest (tables, source file, registered contributorID), so
 * that editing a table or a source's file makes its pages decode again.
 */
#define PAGE_PIPELINE_VERSION "p2"
#define PROFILE_DIGEST_LEN 16
#define HASH_PREFIX_MAX (sizeof(PAGE_PIPELINE_VERSION) + PROFILE_DIGEST_LEN + 2)

/* A canonical dataset graph can be much larger than its share of the
 * page only through long literals; this bounds one dataset's payload. */
#define MAX_DATASET_PAYLOAD ((size_t)16 << 20)

typedef struct hv_harvest hv_harvest;

typedef struct page_job page_job;

typedef struct source_job {
  hv_harvest *h;
  const hv_source *src;
  hv_source_report *report;
  hv_strset visited;  /* page URLs requested in this run */
  int pages;          /* pages requested so far */
  int failed;         /* a page failed or paging was cut short */
  int paging_done;    /* no further page will be requested */
  int finished;       /* source_finish ran */
  size_t in_flight;   /* pages requested and not yet applied */
  unsigned next_seq;  /* sequence number of the next page requested */
  unsigned apply_seq; /* sequence number of the next page to apply */
  page_job *settled;  /* pages waiting for their turn, by sequence */
  uint64_t started_ns;
  const hv_profile *profile; /* the shared tables or own_profile */
  hv_profile *own_profile;   /* tables + profiles/sources/NAME.conf */
  char *profile_error;       /* why the source's file was refused */
  char hash_prefix[HASH_PREFIX_MAX]; /* version "." profile digest */
} source_job;

typedef struct hashed_dataset {
  hv_assess_info info;   /* identity read from the mapped graph */
  hv_findings findings;  /* what the assessment found */
  char hash[HV_SHA256_HEX_LEN + 1];
  char *payload;  /* canonical N-Triples as a zstd frame, NULL if rc < 0 */
  size_t payload_len;
  int rc;
  hv_error err;
} hashed_dataset;

typedef enum page_outcome {
  PAGE_FAILED = 0, /* err says why */
  PAGE_KEEP,       /* 304 or the same body: its datasets stay */
  PAGE_DECODED     /* page and hashed are filled */
} page_outcome;

struct page_job {
  uv_work_t work;
  source_job *job;
  unsigned seq;        /* position in the source's paging order */
  page_job *next_settled;
  page_outcome outcome;
  char *url;           /* URL requested (the page's identity) */
  char *base_url;      /* URL after redirects (base for relative IRIs) */
  char *body;
  size_t len;
  char *content_type;
  char *etag;
  char *last_modified;
  char *stored_hash;   /* content hash of the last good fetch, or NULL */
  char *stored_next;   /* next page found in it last time */
  int64_t stored_rejected; /* datasets it rejected last time */
  char content_hash[HASH_PREFIX_MAX + HV_SHA256_HEX_LEN + 1];
                       /* hash prefix ":" SHA-256 hex */
  int same_content;    /* body equals the last good one: skip decoding */
  hv_ledger_counts delta;
  hv_page page;
  hashed_dataset *hashed; /* page.n_datasets entries */
  int rc;
  hv_error err;
};

struct hv_harvest {
  uv_loop_t loop;
  hv_fetcher *fetcher;
  hv_store *store;
  hv_store_findings *findings; /* the findings writer of the run */
  hv_profile *profile;         /* the tables, shared by the sources */
  const hv_harvest_opts *opts;
  source_job *jobs;
  size_t n_jobs;
  size_t next_job; /* index of the next source to start */
  size_t running;
  size_t finished;
  uint64_t pages_done;
  uint64_t datasets_done;
  uv_signal_t sigint;
  uv_signal_t sigterm;
  hv_store_checkpointer *checkpointer; /* NULL: SQLite checkpoints itself */
  uv_work_t checkpoint_work;
  int checkpoint_running;
  unsigned pages_since_checkpoint;
  int interrupted; /* SIGINT/SIGTERM: finish what is in flight, stop */
};

static void page_request(source_job *job, const char *url);
static void source_finish(source_job *job);

static void page_job_free(page_job *pj)
{
  size_t i;

  if (!pj)
    return;
  hv_free(pj->url);
  hv_free(pj->base_url);
  hv_free(pj->body);
  hv_free(pj->content_type);
  hv_free(pj->etag);
  hv_free(pj->last_modified);
  hv_free(pj->stored_hash);
  hv_free(pj->stored_next);
  if (pj->hashed) {
    for (i = 0; i < pj->page.n_datasets; i++) {
      hv_free(pj->hashed[i].payload);
      hv_assess_info_fini(&pj->hashed[i].info);
      hv_findings_fini(&pj->hashed[i].findings);
    }
    hv_free(pj->hashed);
  }
  hv_page_fini(&pj->page);
  hv_free(pj);
}

static uint64_t elapsed_ns(const source_job *job)
{
  return uv_hrtime() - job->started_ns;
}

static void draw_progress(hv_harvest *h)
{
  if (!h->opts->progress)
    return;
  fprintf(stderr, "\r\033[Kharvest: %zu/%zu sources done, %llu pages, "
                  "%llu datasets",
          h->finished, h->n_jobs, (unsigned long long)h->pages_done,
          (unsigned long long)h->datasets_done);
  fflush(stderr);
}

/* Records the first failure of a source; later ones are only logged. */
static void source_note_failure(source_job *job, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void source_note_failure(source_job *job, const char *fmt, ...)
{
  char msg[HV_ERROR_MSG_MAX];
  va_list ap;

  va_start(ap, fmt);
  vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  job->failed = 1;
  hv_log_error("source %s: %s", job->src->name, msg);
  if (!job->report->message)
    job->report->message = hv_strdup(msg);
}

/* Writes delta to the ledger inside the caller's transaction and adds it
 * to the source's report. */
static int ledger_add(source_job *job, const hv_ledger_counts *delta,
                      hv_error *err)
{
  int rc = hv_store_ledger_add(job->h->store, job->report->run_id,
                               job->src->id, job->src->state, delta, err);
  if (rc == 0)
    hv_ledger_counts_add(&job->report->counts, delta);
  return rc;
}

/* Pool thread: copies the store's log into its file (and fsyncs). */
static void checkpoint_work(uv_work_t *req)
{
  hv_harvest *h = container_of(req, hv_harvest, checkpoint_work);
  hv_error err = HV_ERROR_INIT;

  if (hv_store_checkpoint(h->checkpointer, &err) < 0)
    hv_log_warn("%s", err.msg);
}

static void checkpoint_done(uv_work_t *req, int status)
{
  hv_harvest *h = container_of(req, hv_harvest, checkpoint_work);

  (void)status;
  h->checkpoint_running = 0;
}

/*
 * Every few committed pages, a checkpoint goes to the pool, so that the
 * store's log stays short and its fsyncs never stall the loop.
 */
#define PAGES_PER_CHECKPOINT 32

static void maybe_checkpoint(hv_harvest *h)
{
  if (!h->checkpointer || h->checkpoint_running ||
      ++h->pages_since_checkpoint < PAGES_PER_CHECKPOINT)
    return;
  if (uv_queue_work(&h->loop, &h->checkpoint_work, checkpoint_work,
                    checkpoint_done) == 0) {
    h->checkpoint_running = 1;
    h->pages_since_checkpoint = 0;
  }
}

/* Finishes the source once paging is over and every page is applied. */
static void maybe_finish(source_job *job)
{
  if (job->paging_done && job->in_flight == 0 && !job->finished) {
    job->finished = 1;
    source_finish(job);
  }
}

/* Requests the next page, or ends the paging when next is NULL. */
static void page_advance(source_job *job, const char *next)
{
  if (next && !job->paging_done)
    page_request(job, next);
  else
    job->paging_done = 1;
}

/* Counts a failed page (its requests and bytes were still spent). */
static void apply_failed(page_job *pj)
{
  source_job *job = pj->job;
  hv_error err = HV_ERROR_INIT;

  source_note_failure(job, "%s", pj->err.msg);
  /* The page counts once, as failed, however far it got. */
  pj->delta.pages_fetched = 0;
  pj->delta.pages_not_modified = 0;
  pj->delta.pages_failed = 1;
  if (hv_store_begin(job->h->store, &err) < 0 ||
      ledger_add(job, &pj->delta, &err) < 0 ||
      hv_store_commit(job->h->store, &err) < 0) {
    hv_store_rollback(job->h->store);
    source_note_failure(job, "ledger: %s", err.msg);
  }
}

/* A store error while applying a page: the page counts as failed. */
static void apply_store_failed(page_job *pj, const hv_error *err)
{
  hv_store_rollback(pj->job->h->store);
  hv_error_set(&pj->err, err->code, "page %s: %s", pj->url, err->msg);
  pj->job->paging_done = 1;
  apply_failed(pj);
}

/*
 * The page is the same as last time (304, or the same body): its datasets
 * stay as they are and count as unchanged. New validators are kept.
 */
static void apply_keep(page_job *pj)
{
  source_job *job = pj->job;
  hv_store *store = job->h->store;
  hv_error err = HV_ERROR_INIT;
  hv_page_row row = {pj->etag, pj->last_modified, pj->stored_hash,
                     pj->stored_next, 1, 0};
  size_t kept = 0, distributions = 0;

  pj->delta.pages_not_modified = 1;
  if (hv_store_begin(store, &err) < 0 ||
      hv_store_page_keep(store, job->src->id, pj->url, job->report->run_id,
                         &kept, &distributions, &err) < 0 ||
      hv_store_page_put(store, job->src->id, pj->url, &row,
                        job->report->run_id, &err) < 0) {
    apply_store_failed(pj, &err);
    return;
  }
  pj->delta.datasets_unchanged = (int64_t)kept;
  pj->delta.distributions = (int64_t)distributions;
  /* What the page rejected then, it still delivers: count it again, so
   * a run's quality figures do not depend on the portal's validators. */
  pj->delta.datasets_rejected = pj->stored_rejected;
  if (ledger_add(job, &pj->delta, &err) < 0 ||
      hv_store_commit(store, &err) < 0) {
    apply_store_failed(pj, &err);
    return;
  }
  job->h->datasets_done += kept;
  hv_log_info("source %s: page %s: not modified, %zu datasets kept",
              job->src->name, pj->url, kept);
}

/*
 * The ledger counts the findings a run records, by severity: those of
 * the datasets it writes new or updated, in the same transaction.
 */
static void count_findings(hv_ledger_counts *delta, const hv_findings *f)
{
  size_t i;

  for (i = 0; i < f->len; i++) {
    switch (f->items[i].severity) {
    case HV_SEVERITY_VIOLATION:
      delta->findings_violations++;
      break;
    case HV_SEVERITY_WARNING:
      delta->findings_warnings++;
      break;
    case HV_SEVERITY_INFO:
      delta->findings_infos++;
      break;
    }
  }
}

/* Writes one decoded page: page row, datasets and ledger, atomically. */
static void apply_decoded(page_job *pj)
{
  source_job *job = pj->job;
  hv_store *store = job->h->store;
  hv_error err = HV_ERROR_INIT;
  hv_page_row row = {pj->etag, pj->last_modified, pj->content_hash,
                     pj->page.next_url, 0, 0};
  size_t i;

  if (hv_store_begin(store, &err) < 0)
    goto fail;
  for (i = 0; i < pj->page.n_datasets; i++) {
    const hv_dataset_graph *dg = &pj->page.datasets[i];
    const hashed_dataset *hd = &pj->hashed[i];
    hv_dataset_row d;
    hv_dataset_assessment assessment;
    hv_change change;
    int64_t dataset_id;

    if (hd->rc < 0) {
      hv_log_warn("source %s: page %s: dataset %s rejected: %s",
                  job->src->name, pj->url, dg->key, hd->err.msg);
      pj->delta.datasets_rejected++;
      continue;
    }
    /* Identity as the mapped graph states it. */
    memset(&d, 0, sizeof(d));
    d.key = hd->info.key;
    d.uri = hd->info.uri;
    d.identifier = hd->info.identifier;
    d.modified = hd->info.modified;
    d.hash = hd->hash;
    /* Compressed on the pool already; the store takes the frame as is. */
    d.payload_zstd = hd->payload;
    d.payload_zstd_len = hd->payload_len;
    d.distributions = hd->info.distributions;
    d.page_url = pj->url;
    /* A row written anew gets the findings of this assessment, its
     * counts and state with the row's own write; an unchanged one keeps
     * those of the assessment that wrote it. */
    hv_store_findings_assess(hd->findings.items, hd->findings.len,
                             hd->info.state, &assessment);
    if (hv_store_dataset_upsert_assessed(store, job->src->id,
                                         job->report->run_id, &d,
                                         &assessment, &change, &dataset_id,
                                         &err) < 0)
      goto fail;
    if ((change == HV_CHANGE_NEW || change == HV_CHANGE_UPDATED) &&
        hv_store_findings_set(job->h->findings, dataset_id, d.key,
                              hd->findings.items, hd->findings.len,
                              &err) < 0)
      goto fail;
    /* No sink operation here: whether this copy is published is decided
     * by the resolve after the run, which queues the operations. */
    if (change == HV_CHANGE_NEW || change == HV_CHANGE_UPDATED)
      count_findings(&pj->delta, &hd->findings);
    switch (change) {
    case HV_CHANGE_NEW:
      pj->delta.datasets_new++;
      break;
    case HV_CHANGE_UPDATED:
      pj->delta.datasets_updated++;
      break;
    case HV_CHANGE_UNCHANGED:
      pj->delta.datasets_unchanged++;
      break;
    case HV_CHANGE_REPEATED:
      hv_log_warn("source %s: page %s: dataset %s delivered again in this "
                  "run; the first copy is kept",
                  job->src->name, pj->url, d.key);
      continue;
    }
    pj->delta.distributions += (int64_t)hd->info.distributions;
  }
  if (pj->page.warning)
    hv_log_warn("source %s: page %s: %s", job->src->name, pj->url,
                pj->page.warning);
  for (i = 0; i < pj->page.n_rejected; i++) {
    /* The reason names the dataset node. */
    hv_log_warn("source %s: page %s: rejected: %s", job->src->name, pj->url,
                pj->page.rejected[i].reason);
    pj->delta.datasets_rejected++;
  }
  row.rejected = pj->delta.datasets_rejected;
  if (hv_store_page_put(store, job->src->id, pj->url, &row,
                        job->report->run_id, &err) < 0 ||
      ledger_add(job, &pj->delta, &err) < 0 ||
      hv_store_commit(store, &err) < 0)
    goto fail;
  job->h->datasets_done += pj->page.n_datasets;
  hv_log_info("source %s: page %s: %zu datasets (%lld new, %lld updated, "
              "%lld unchanged, %lld rejected)",
              job->src->name, pj->url, pj->page.n_datasets,
              (long long)pj->delta.datasets_new,
              (long long)pj->delta.datasets_updated,
              (long long)pj->delta.datasets_unchanged,
              (long long)pj->delta.datasets_rejected);
  return;

fail:
  apply_store_failed(pj, &err);
}

/*
 * Takes a page whose outcome is known. Pages of one source are applied
 * to the store in paging order, whatever order the pool finished them
 * in, so "the first copy wins" means the same in every run.
 */
static void page_settle(page_job *pj)
{
  source_job *job = pj->job;
  page_job **at = &job->settled;

  while (*at && (*at)->seq < pj->seq)
    at = &(*at)->next_settled;
  pj->next_settled = *at;
  *at = pj;

  while (job->settled && job->settled->seq == job->apply_seq) {
    page_job *head = job->settled;

    job->settled = head->next_settled;
    switch (head->outcome) {
    case PAGE_FAILED:
      apply_failed(head);
      break;
    case PAGE_KEEP:
      apply_keep(head);
      break;
    case PAGE_DECODED:
      apply_decoded(head);
      break;
    }
    job->apply_seq++;
    job->in_flight--;
    job->h->pages_done++;
    page_job_free(head);
    maybe_checkpoint(job->h);
    draw_progress(job->h);
  }
  maybe_finish(job);
}

/* The page failed before it could be applied; paging stops here. */
static void page_fail(page_job *pj, int names_url, const char *cause)
{
  char copy[HV_ERROR_MSG_MAX];

  /* cause may be pj->err.msg itself. */
  snprintf(copy, sizeof(copy), "%s", cause);
  if (names_url)
    hv_error_set(&pj->err, HV_EHTTP, "%s", copy);
  else
    hv_error_set(&pj->err, HV_EHTTP, "page %s: %s", pj->url, copy);
  pj->outcome = PAGE_FAILED;
  page_advance(pj->job, NULL);
  page_settle(pj);
}

/*
 * Pool thread: assesses (maps) every dataset of the decoded page,
 * canonicalizes the mapped graph and compresses the canonical form for
 * the store, so that none of it costs the loop thread anything. The
 * profile is only read.
 */
static void canon_work(uv_work_t *req)
{
  page_job *pj = container_of(req, page_job, work);
  const source_job *job = pj->job;
  hv_map_opts mopts = HV_MAP_OPTS_INIT;
  hv_buf nq = HV_BUF_INIT(MAX_DATASET_PAYLOAD);
  hv_graph mapped;
  size_t i;

  /* The registered contributorID wins over the source file's default. */
  mopts.default_contributor = job->src->contributor_id;
  hv_graph_init(&mapped);
  for (i = 0; i < pj->page.n_datasets; i++) {
    hv_dataset_graph *dg = &pj->page.datasets[i];
    hashed_dataset *hd = &pj->hashed[i];
    hv_buf z = HV_BUF_INIT(MAX_DATASET_PAYLOAD + 4096);

    hv_buf_reset(&nq);
    hv_findings_init(&hd->findings);
#ifdef HV_BENCH_SKIP_ASSESS
    /* The benchmark's baseline: the delivered graph as it is. */
    (void)mopts;
    mapped = dg->graph;
    hv_graph_init(&dg->graph);
    hd->rc = 0;
#else
    /* The mapped graph replaces the delivered one from here on. */
    hd->rc = hv_assess_dataset_take(job->profile, &mopts, &dg->graph,
                                    dg->uri, &mapped, &hd->findings,
                                    &hd->err);
#endif
    if (hd->rc == 0)
      hd->rc = hv_assess_describe(job->profile, &mapped, dg->uri,
                                  &hd->findings, 0, &hd->info, &hd->err);
    if (hd->rc == 0)
      hd->rc = hv_rdfc10_hash(&mapped, hd->hash, &nq, &hd->err);
    if (hd->rc == 0)
      hd->rc = hv_compress(&z, nq.ptr ? nq.ptr : "", nq.len, &hd->err);
    if (hd->rc == 0 && !(hd->payload = hv_buf_detach(&z, &hd->payload_len)))
      hd->rc = hv_error_oom(&hd->err);
    hv_buf_fini(&z);
    /* The canonical form replaces the graph from here on. */
    hv_graph_fini(&mapped);
  }
  hv_buf_fini(&nq);
}

static void canon_done(uv_work_t *req, int status)
{
  page_job *pj = container_of(req, page_job, work);

  if (status < 0) {
    hv_error_set(&pj->err, HV_ECANCELED, "page %s: %s", pj->url,
                 uv_strerror(status));
    pj->outcome = PAGE_FAILED;
  } else {
    pj->outcome = PAGE_DECODED;
  }
  page_settle(pj);
}

/*
 * Pool thread: hashes the body and, unless it is unchanged, decodes and
 * splits it. Touches nothing but pj.
 */
static void decode_work(uv_work_t *req)
{
  page_job *pj = container_of(req, page_job, work);
  const char *hint = pj->job->src->format_hint;
  char body_hash[HV_SHA256_HEX_LEN + 1];

  hv_sha256_hex(pj->body, pj->len, body_hash);
  snprintf(pj->content_hash, sizeof(pj->content_hash), "%s:%s",
           pj->job->hash_prefix, body_hash);
  if (pj->stored_hash && strcmp(pj->stored_hash, pj->content_hash) == 0) {
    pj->same_content = 1;
    return;
  }
  pj->rc = hv_page_decode(&pj->page, pj->body, pj->len, pj->content_type,
                          hint, pj->base_url, &pj->err);
  /* The graphs hold their own copies; the body is no longer needed. */
  hv_free(pj->body);
  pj->body = NULL;
  if (pj->rc == 0 && pj->page.n_datasets &&
      !(pj->hashed = hv_calloc(pj->page.n_datasets, sizeof(*pj->hashed))))
    pj->rc = hv_error_oom(&pj->err);
}

/*
 * Loop thread: the page is decoded, so its next page is known. That
 * fetch starts now, while this page is canonicalized on the pool: the
 * pages of one source overlap instead of waiting for each other.
 */
static void decode_done(uv_work_t *req, int status)
{
  page_job *pj = container_of(req, page_job, work);
  int rc;

  if (status < 0) {
    page_fail(pj, 0, uv_strerror(status));
    return;
  }
  if (pj->same_content) {
    pj->outcome = PAGE_KEEP;
    page_advance(pj->job, pj->stored_next);
    page_settle(pj);
    return;
  }
  if (pj->rc < 0) {
    page_fail(pj, 0, pj->err.msg);
    return;
  }
  page_advance(pj->job, pj->page.next_url);
  if ((rc = uv_queue_work(&pj->job->h->loop, &pj->work, canon_work,
                          canon_done)) < 0) {
    hv_error_set(&pj->err, HV_EIO, "page %s: %s", pj->url, uv_strerror(rc));
    pj->outcome = PAGE_FAILED;
    page_settle(pj);
  }
}

static char *dup_or_null(const char *s, int *oom)
{
  char *copy;

  if (!s)
    return NULL;
  if (!(copy = hv_strdup(s)))
    *oom = 1;
  return copy;
}

/* Tells the harvest's page observer, if any, about a finished fetch. */
static void notify_page(const page_job *pj, int status,
                        const hv_fetch_result *result, const hv_error *ferr)
{
  const hv_harvest_opts *o = pj->job->h->opts;
  hv_page_event e;

  if (!o->on_page)
    return;
  e.source = pj->job->src->name;
  e.state = pj->job->src->state;
  e.url = pj->url;
  e.status = result->status;
  e.not_modified = result->not_modified;
  e.error = status < 0 ? ferr->msg : NULL;
  e.bytes = result->bytes;
  e.attempts = result->attempts;
  e.seconds = result->seconds;
  o->on_page(&e, o->page_payload);
}

static void on_fetched(int status, const hv_fetch_result *result,
                       const hv_error *ferr, void *payload)
{
  page_job *pj = payload;
  char cause[HV_ERROR_MSG_MAX];
  int oom = 0, rc;

  notify_page(pj, status, result, ferr);
  pj->delta.requests = result->attempts;
  pj->delta.bytes = (int64_t)result->bytes;
  if (status < 0) {
    page_fail(pj, 1, ferr->msg);
    return;
  }
  /* A 304 need not repeat the validators; then the stored ones stay. */
  if (!result->not_modified || result->etag) {
    hv_free(pj->etag);
    pj->etag = dup_or_null(result->etag, &oom);
  }
  if (!result->not_modified || result->last_modified) {
    hv_free(pj->last_modified);
    pj->last_modified = dup_or_null(result->last_modified, &oom);
  }
  if (oom) {
    page_fail(pj, 0, "out of memory");
    return;
  }
  if (result->not_modified) {
    if (!pj->stored_hash) {
      page_fail(pj, 0, "HTTP 304 for a page that was never fetched");
      return;
    }
    pj->outcome = PAGE_KEEP;
    page_advance(pj->job, pj->stored_next);
    page_settle(pj);
    return;
  }
  if (result->status != 200) {
    snprintf(cause, sizeof(cause), "HTTP %ld", result->status);
    page_fail(pj, 0, cause);
    return;
  }
  pj->delta.pages_fetched = 1;
  pj->len = result->len;
  pj->body = hv_strndup(result->body, result->len);
  pj->content_type = dup_or_null(result->content_type, &oom);
  pj->base_url = hv_strdup(result->effective_url ? result->effective_url
                                                 : pj->url);
  if (!pj->body || !pj->base_url || oom) {
    page_fail(pj, 0, "out of memory");
    return;
  }
  if ((rc = uv_queue_work(&pj->job->h->loop, &pj->work, decode_work,
                          decode_done)) < 0)
    page_fail(pj, 0, uv_strerror(rc));
}

static void page_request(source_job *job, const char *url)
{
  hv_harvest *h = job->h;
  hv_error err = HV_ERROR_INIT;
  hv_page_row stored;
  page_job *pj;
  int rc;

  if (h->interrupted) {
    source_note_failure(job, "interrupted before %s; nothing is deleted",
                        url);
    goto stop;
  }
  if (hv_strset_has(&job->visited, url)) {
    /* Every page of the cycle was harvested; the catalog is complete. */
    hv_log_warn("source %s: paging loop: %s was already fetched in this "
                "run; paging stops here",
                job->src->name, url);
    goto stop;
  }
  if (job->pages >= h->opts->max_pages) {
    source_note_failure(job,
                        "page cap of %d pages reached before %s; paging cut "
                        "short, nothing is deleted",
                        h->opts->max_pages, url);
    goto stop;
  }
  if (!(pj = hv_calloc(1, sizeof(*pj))) || !(pj->url = hv_strdup(url)) ||
      hv_strset_add(&job->visited, url) < 0) {
    hv_free(pj ? pj->url : NULL);
    hv_free(pj);
    source_note_failure(job, "page %s: out of memory", url);
    goto stop;
  }
  pj->job = job;
  pj->seq = job->next_seq++;
  job->pages++;
  job->in_flight++;
  memset(&stored, 0, sizeof(stored));
  rc = hv_store_page_get(h->store, job->src->id, url, &stored, &err);
  if (rc < 0 && rc != HV_ENOTFOUND) {
    page_fail(pj, 0, err.msg);
    return;
  }
  /* A page last processed by another version of the page pipeline or
   * with another profile must be decoded again: no validators, so no
   * 304, and no content match. */
  if (stored.content_hash &&
      (strncmp(stored.content_hash, job->hash_prefix,
               strlen(job->hash_prefix)) != 0 ||
       stored.content_hash[strlen(job->hash_prefix)] != ':')) {
    hv_page_row_fini(&stored);
    memset(&stored, 0, sizeof(stored));
  }
  /* Ownership of the stored row's strings moves to the page job. */
  pj->etag = stored.etag;
  pj->last_modified = stored.last_modified;
  pj->stored_hash = stored.content_hash;
  pj->stored_next = stored.next_url;
  pj->stored_rejected = stored.rejected;
  if (hv_fetcher_get(h->fetcher, url, pj->etag, pj->last_modified,
                     on_fetched, pj, &err) < 0)
    page_fail(pj, 0, err.msg);
  return;

stop:
  job->paging_done = 1;
  maybe_finish(job);
}

static void source_start(source_job *job)
{
  hv_error err = HV_ERROR_INIT;

  job->started_ns = uv_hrtime();
  job->h->running++;
  if (hv_store_run_begin(job->h->store, job->src->id, &job->report->run_id,
                         &err) < 0) {
    source_note_failure(job, "cannot start run: %s", err.msg);
    job->paging_done = 1;
    maybe_finish(job);
    return;
  }
  if (job->profile_error) {
    /* Recorded as a failed run, so nothing of the source is deleted. */
    source_note_failure(job, "%s", job->profile_error);
    job->paging_done = 1;
    maybe_finish(job);
    return;
  }
  hv_log_info("source %s: run %lld started at %s", job->src->name,
              (long long)job->report->run_id, job->src->url);
  page_request(job, job->src->url);
}

static void start_more_sources(hv_harvest *h)
{
  while (h->running < (size_t)h->opts->max_parallel_sources &&
         h->next_job < h->n_jobs)
    source_start(&h->jobs[h->next_job++]);
}

static void close_signals(hv_harvest *h)
{
  if (!uv_is_closing((uv_handle_t *)&h->sigint)) {
    uv_close((uv_handle_t *)&h->sigint, NULL);
    uv_close((uv_handle_t *)&h->sigterm, NULL);
  }
}

/*
 * The first SIGINT or SIGTERM cancels the fetches in flight; their pages
 * fail, so every run in progress ends as failed and deletes nothing, and
 * sources not started yet start and stop at once. Pages already being
 * decoded are still committed. Watching stops here, so a second signal
 * ends the process the default way.
 */
static void on_signal(uv_signal_t *handle, int signum)
{
  hv_harvest *h = handle->data;

  hv_log_warn("%s: finishing the pages in flight; runs in progress end as "
              "failed and delete nothing",
              signum == SIGINT ? "interrupted" : "terminated");
  h->interrupted = 1;
  uv_signal_stop(&h->sigint);
  uv_signal_stop(&h->sigterm);
  hv_fetcher_close(h->fetcher);
  h->fetcher = NULL;
}

/* Applies the deletion guard and closes the source's run. */
static void source_finish(source_job *job)
{
  hv_harvest *h = job->h;
  hv_store *store = h->store;
  hv_source_report *rep = job->report;
  hv_error err = HV_ERROR_INIT;
  hv_ledger_counts delta = {0};
  size_t active = 0, vanished = 0, deleted = 0;
  hv_delete_decision decision = HV_DELETE_NONE;
  char hold[HV_ERROR_MSG_MAX];

  delta.seconds = (double)elapsed_ns(job) / 1e9;
  rep->status = job->failed ? HV_RUN_FAILED : HV_RUN_OK;
  if (rep->run_id == 0)
    goto done; /* the run could not even be recorded */

  if (hv_store_begin(store, &err) < 0 ||
      hv_store_dataset_counts(store, job->src->id, rep->run_id, &active,
                              &vanished, &err) < 0)
    goto store_fail;
  decision = hv_reconcile_decide_deletes(active, vanished, job->failed,
                                         h->opts->max_delete_share,
                                         h->opts->allow_mass_delete);
  switch (decision) {
  case HV_DELETE_APPLY:
    /* The withdrawal from the sinks is queued by the resolve, which
     * also promotes another copy under the same identity. */
    if (hv_store_dataset_delete_unseen(store, job->src->id, rep->run_id,
                                       &deleted, &err) < 0)
      goto store_fail;
    delta.datasets_deleted = (int64_t)deleted;
    break;
  case HV_DELETE_HOLD:
    snprintf(hold, sizeof(hold),
             "held: %zu of %zu datasets vanished (more than %.0f %%); none "
             "deleted, rerun with --allow-mass-delete to apply",
             vanished, active, h->opts->max_delete_share * 100.0);
    rep->status = HV_RUN_HELD;
    /* Dedup: the datasets the hold kept are quarantined, not forgotten. */
    if (hv_store_dataset_quarantine_unseen(store, job->src->id, rep->run_id,
                                           hold, NULL, &err) < 0)
      goto store_fail;
    hv_log_warn("source %s: %s", job->src->name, hold);
    if (!rep->message)
      rep->message = hv_strdup(hold);
    break;
  case HV_DELETE_SKIP_FAILED:
    hv_log_warn("source %s: %zu datasets not seen, but the run failed; none "
                "deleted",
                job->src->name, vanished);
    break;
  case HV_DELETE_NONE:
    break;
  }
  if (ledger_add(job, &delta, &err) < 0 ||
      hv_store_run_finish(store, rep->run_id, rep->status, rep->message,
                          &err) < 0 ||
      hv_store_commit(store, &err) < 0)
    goto store_fail;
  rep->datasets_active = (int64_t)(active - deleted);
  goto done;

store_fail:
  hv_store_rollback(store);
  source_note_failure(job, "store: %s", err.msg);
  rep->status = HV_RUN_FAILED;
  /* Best effort: leave no run marked running. */
  hv_store_run_finish(store, rep->run_id, rep->status, rep->message, NULL);

done:
  hv_log_info("source %s: run %lld %s", job->src->name,
              (long long)rep->run_id, rep->status);
  h->running--;
  h->finished++;
  draw_progress(h);
  start_more_sources(h);
  if (h->finished == h->n_jobs)
    close_signals(h);
}

/*
 * Loads the profile tables once, and for every source with a file of
 * its own in DIR/sources a profile of its own. A missing directory or a
 * broken table stops the run; a broken source file fails its source.
 */
static int load_profiles(hv_harvest *h, hv_error *err)
{
  const char *dir = hv_assess_profiles_dir(h->opts->profiles_dir);
  char tables[HV_SHA256_HEX_LEN + 1], digest[HV_SHA256_HEX_LEN + 1];
  hv_buf conf = HV_BUF_INIT(4096);
  hv_error serr = HV_ERROR_INIT;
  size_t i;
  int rc;

  if ((rc = hv_assess_load_tables(&h->profile, tables, dir, err)) < 0) {
    hv_error_prefix(err, "profile: ");
    goto cleanup;
  }
  for (i = 0; i < h->n_jobs; i++) {
    source_job *job = &h->jobs[i];
    const hv_source *src = job->src;

    hv_buf_reset(&conf);
    if ((rc = hv_buf_addf(&conf, "%s/%s/%s.conf", dir, HV_ASSESS_SOURCES,
                          src->name)) < 0) {
      rc = hv_error_set(err, rc, "profile: source file of %s: %s",
                        src->name, hv_strerror(rc));
      goto cleanup;
    }
    job->profile = h->profile;
    if (access(conf.ptr, F_OK) != 0) {
      hv_assess_digest(digest, tables, src->contributor_id);
    } else if (hv_assess_load_source(&job->own_profile, digest, dir, tables,
                                     conf.ptr, src->contributor_id,
                                     &serr) == 0) {
      job->profile = job->own_profile;
    } else if (serr.code == HV_ENOMEM) {
      rc = hv_error_oom(err);
      goto cleanup;
    } else if (!(job->profile_error = hv_malloc(HV_ERROR_MSG_MAX + 32))) {
      rc = hv_error_oom(err);
      goto cleanup;
    } else {
      snprintf(job->profile_error, HV_ERROR_MSG_MAX + 32,
               "source profile refused: %s", serr.msg);
    }
    snprintf(job->hash_prefix, sizeof(job->hash_prefix), "%s.%.*s",
             PAGE_PIPELINE_VERSION, PROFILE_DIGEST_LEN, digest);
  }
  rc = 0;

cleanup:
  hv_buf_fini(&conf);
  return rc;
}

/*
 * Settles which copy of each dataset is published, once every source of
 * the run is finished (see dedup/dedup.h). A failure leaves the states
 * of the last resolve, which the next run's resolve brings up to date,
 * so it is logged rather than failing a harvest already stored.
 */
static void resolve_duplicates(hv_store *store, const hv_source *sources,
                               const hv_source_report *reports, size_t n,
                               const hv_harvest_opts *opts)
{
  hv_dedup_run *runs = hv_calloc(n ? n : 1, sizeof(*runs));
  hv_dedup_stats stats;
  hv_error err = HV_ERROR_INIT;
  size_t i, k = 0;
  uint64_t started = uv_hrtime();

  if (!runs) {
    hv_log_error("dedup: out of memory");
    return;
  }
  for (i = 0; i < n; i++) {
    if (reports[i].run_id <= 0)
      continue;
    runs[k].run_id = reports[i].run_id;
    runs[k].source_id = sources[i].id;
    k++;
  }
  /* --violations withhold holds for every sink of this run; otherwise
   * each sink's own setting (as the configuration was loaded) stands. */
  if (opts->withhold_violations &&
      hv_store_outbox_set_withhold(store, NULL, 1, &err) < 0)
    hv_log_error("outbox: %s", err.msg);
  if (hv_dedup_resolve(store, runs, k, NULL, NULL, &stats, &err) < 0)
    hv_log_error("dedup: %s", err.msg);
  else
    hv_log_info("dedup: %zu copies, %zu datasets, %zu with duplicates, "
                "%zu superseded, %zu promoted, %zu transitions, %zu puts "
                "and %zu deletes queued in %.3f s",
                stats.copies, stats.groups, stats.duplicates,
                stats.superseded, stats.promoted, stats.transitions,
                stats.queued_puts, stats.queued_deletes,
                (double)(uv_hrtime() - started) / 1e9);
  hv_free(runs);
}

void hv_source_reports_free(hv_source_report *reports, size_t n)
{
  size_t i;

  if (!reports)
    return;
  for (i = 0; i < n; i++) {
    hv_free(reports[i].name);
    hv_free(reports[i].message);
  }
  hv_free(reports);
}

int hv_harvest_run(hv_store *store, const hv_source *sources, size_t n,
                   const hv_harvest_opts *opts,
                   hv_source_report **reports_out, hv_error *err)
{
  hv_harvest h;
  hv_error cerr = HV_ERROR_INIT;
  hv_source_report *reports = NULL;
  size_t i;
  int rc, loop_ready = 0, signals_ready = 0;

  memset(&h, 0, sizeof(h));
  h.store = store;
  h.opts = opts;
  h.n_jobs = n;
  if (!(reports = hv_calloc(n, sizeof(*reports))) ||
      !(h.jobs = hv_calloc(n, sizeof(*h.jobs)))) {
    rc = hv_error_oom(err);
    goto cleanup;
  }
  for (i = 0; i < n; i++) {
    if (!(reports[i].name = hv_strdup(sources[i].name))) {
      rc = hv_error_oom(err);
      goto cleanup;
    }
    snprintf(reports[i].state, sizeof(reports[i].state), "%s",
             sources[i].state);
    h.jobs[i].h = &h;
    h.jobs[i].src = &sources[i];
    h.jobs[i].report = &reports[i];
  }
  if ((rc = load_profiles(&h, err)) < 0 ||
      (rc = hv_store_findings_open(&h.findings, store, err)) < 0)
    goto cleanup;
  if ((rc = uv_loop_init(&h.loop)) < 0) {
    rc = hv_error_set(err, HV_EIO, "event loop: %s", uv_strerror(rc));
    goto cleanup;
  }
  loop_ready = 1;
  if ((rc = hv_fetcher_new(&h.fetcher, &h.loop, &opts->fetch, err)) < 0)
    goto cleanup;
  if (hv_store_checkpointer_open(&h.checkpointer, store, &cerr) < 0)
    hv_log_info("checkpoints stay with SQLite: %s", cerr.msg);
  uv_signal_init(&h.loop, &h.sigint);
  uv_signal_init(&h.loop, &h.sigterm);
  h.sigint.data = &h;
  h.sigterm.data = &h;
  uv_signal_start(&h.sigint, on_signal, SIGINT);
  uv_signal_start(&h.sigterm, on_signal, SIGTERM);
  signals_ready = 1;

  hv_log_set_progress_line(opts->progress);
  start_more_sources(&h);
  if (n == 0)
    close_signals(&h);
  uv_run(&h.loop, UV_RUN_DEFAULT);
  if (opts->progress)
    fputc('\n', stderr);
  hv_log_set_progress_line(0);
  /* Dedup: one resolve across all sources, after all of them. */
  resolve_duplicates(store, sources, reports, n, opts);
  rc = 0;

cleanup:
  if (signals_ready)
    close_signals(&h);
  if (h.fetcher)
    hv_fetcher_close(h.fetcher);
  if (loop_ready)
    uv_run(&h.loop, UV_RUN_DEFAULT);
  hv_store_checkpointer_close(h.checkpointer);
  if (loop_ready && uv_loop_close(&h.loop) != 0)
    hv_log_error("event loop still had open handles at shutdown");
  if (h.jobs) {
    for (i = 0; i < n; i++) {
      hv_strset_fini(&h.jobs[i].visited);
      hv_profile_free(h.jobs[i].own_profile);
      hv_free(h.jobs[i].profile_error);
    }
    hv_free(h.jobs);
  }
  hv_store_findings_close(h.findings);
  hv_profile_free(h.profile);
  if (rc == 0)
    *reports_out = reports;
  else
    hv_source_reports_free(reports, n);
  return rc;
}

int hv_harvest_global_init(hv_error *err)
{
  hv_rdf_global_init();
  return hv_fetch_global_init(err);
}

void hv_harvest_global_cleanup(void)
{
  hv_fetch_global_cleanup();
  hv_rdf_global_cleanup();
}
