/*
 * The check's index of one dataset graph (see index.h).
 */
#include "check/index.h"

#include <stdint.h>
#include <string.h>

#include "decode/page.h"
#include "map/map.h"
#include "util/alloc.h"

#define FOAF "http://xmlns.com/foaf/0.1/"
#define DCATAP "http://data.europa.eu/r5r#"
#define SPDX "http://spdx.org/rdf/terms#"
#define ADMS "http://www.w3.org/ns/adms#"
#define ODRL "http://www.w3.org/ns/odrl/2/"
#define OWL "http://www.w3.org/2002/07/owl#"

#define PRED(id, iri, date) [id] = {iri, sizeof(iri) - 1, date}

const hv__check_pred hv__check_preds[PR_COUNT] = {
    [PR_OTHER] = {"", 0, 0},
    PRED(PR_TITLE, HV_DCT "title", 0),
    PRED(PR_DESCRIPTION, HV_DCT "description", 0),
    PRED(PR_PUBLISHER, HV_DCT "publisher", 0),
    PRED(PR_ISSUED, HV_DCT "issued", 1),
    PRED(PR_MODIFIED, HV_DCT "modified", 1),
    PRED(PR_IDENTIFIER, HV_DCT "identifier", 0),
    PRED(PR_SPATIAL, HV_DCT "spatial", 0),
    PRED(PR_TEMPORAL, HV_DCT "temporal", 0),
    PRED(PR_ACCESS_RIGHTS, HV_DCT "accessRights", 0),
    PRED(PR_PERIODICITY, HV_DCT "accrualPeriodicity", 0),
    PRED(PR_DCT_TYPE, HV_DCT "type", 0),
    PRED(PR_LICENSE, HV_DCT "license", 0),
    PRED(PR_FORMAT, HV_DCT "format", 0),
    PRED(PR_RIGHTS, HV_DCT "rights", 0),
    PRED(PR_THEME, HV_DCAT "theme", 0),
    PRED(PR_LANDING_PAGE, HV_DCAT "landingPage", 0),
    PRED(PR_DISTRIBUTION, HV_DCAT "distribution", 0),
    PRED(PR_CONTACT_POINT, HV_DCAT "contactPoint", 0),
    PRED(PR_TEMPORAL_RES, HV_DCAT "temporalResolution", 0),
    PRED(PR_SPATIAL_RES, HV_DCAT "spatialResolutionInMeters", 0),
    PRED(PR_GRANULARITY, HV_DCAT "granularity", 0),
    PRED(PR_BYTE_SIZE, HV_DCAT "byteSize", 0),
    PRED(PR_MEDIA_TYPE, HV_DCAT "mediaType", 0),
    PRED(PR_COMPRESS_FORMAT, HV_DCAT "compressFormat", 0),
    PRED(PR_PACKAGE_FORMAT, HV_DCAT "packageFormat", 0),
    PRED(PR_KEYWORD, HV_DCAT "keyword", 0),
    PRED(PR_ACCESS_URL, HV_DCAT "accessURL", 0),
    PRED(PR_START_DATE, HV_DCAT "startDate", 1),
    PRED(PR_END_DATE, HV_DCAT "endDate", 1),
    PRED(PR_VERSION_INFO, OWL "versionInfo", 0),
    PRED(PR_QUALITY_PROCESS, HV_DCATDE "qualityProcessURI", 0),
    PRED(PR_CONTRIBUTOR, HV_DCATDE "contributorID", 0),
    PRED(PR_AVAILABILITY, DCATAP "availability", 0),
    PRED(PR_CHECKSUM, SPDX "checksum", 0),
    PRED(PR_STATUS, ADMS "status", 0),
    PRED(PR_HAS_POLICY, ODRL "hasPolicy", 0),
    PRED(PR_NAME, FOAF "name", 0),
};

/*
 * Predicate ids are found through a small hash table on the length and
 * the last bytes of the IRI (known IRIs of one namespace differ near the
 * end), so an unknown predicate usually costs a strlen and one probe and
 * a known one a single memcmp. The table is built from hv__check_preds[]
 * on each thread's first use; being thread-local, it needs no lock and
 * checking stays free of shared mutable state.
 */
#define PRED_SLOTS 128

static _Thread_local unsigned char pred_slots[PRED_SLOTS]; /* PR_* or 0 */
static _Thread_local int pred_slots_ready;

static size_t pred_hash(const char *iri, size_t n)
{
  const unsigned char *u = (const unsigned char *)iri;

  return (n * 31 + (size_t)u[n - 1] * 7 + (size_t)u[n - 2] * 3 +
          (size_t)u[n - 4]) & (PRED_SLOTS - 1);
}

static void pred_slots_build(void)
{
  size_t i, h;

  memset(pred_slots, 0, sizeof(pred_slots));
  for (i = 1; i < PR_COUNT; i++) {
    h = pred_hash(hv__check_preds[i].iri, hv__check_preds[i].len);
    while (pred_slots[h])
      h = (h + 1) & (PRED_SLOTS - 1);
    pred_slots[h] = (unsigned char)i;
  }
  pred_slots_ready = 1;
}

unsigned char hv__check_pred_id(const char *iri)
{
  size_t n = strlen(iri), h;
  unsigned char id;

  /* Every known IRI is longer than this; shorter ones cannot be hashed. */
  if (n < 8)
    return PR_OTHER;
  if (!pred_slots_ready)
    pred_slots_build();
  for (h = pred_hash(iri, n); (id = pred_slots[h]) != 0;
       h = (h + 1) & (PRED_SLOTS - 1))
    if (hv__check_preds[id].len == n &&
        memcmp(hv__check_preds[id].iri, iri, n) == 0)
      return id;
  return PR_OTHER;
}

/*
 * A hash of the kind and the whole value, eight bytes at a time (IRIs of
 * one dataset share long prefixes, so every byte counts, and a byte-wise
 * hash would cost several times more). Equal terms hash alike; datatype
 * and language are left to same_term, as subjects rarely have any.
 */
static size_t term_hash(const hv_term *t)
{
  const char *v = t->value ? t->value : "";
  size_t n = strlen(v), i;
  uint64_t h = 0x9e3779b97f4a7c15ULL ^ ((uint64_t)n << 8) ^
               (uint64_t)t->kind;
  uint64_t w;

  for (i = 0; i + 8 <= n; i += 8) {
    memcpy(&w, v + i, 8);
    h = (h ^ w) * 0x100000001b3ULL;
    h ^= h >> 29;
  }
  w = 0;
  memcpy(&w, v + i, n - i);
  h = (h ^ w) * 0x100000001b3ULL;
  h ^= h >> 32;
  h *= 0xbf58476d1ce4e5b9ULL;
  h ^= h >> 29;
  return (size_t)h;
}

/* hv_term_equal, with the usual case of two plain IRIs or blank nodes
 * (no datatype, no language) compared here directly. */
static int same_term(const hv_term *a, const hv_term *b)
{
  if (a->datatype || a->lang || b->datatype || b->lang || !a->value ||
      !b->value)
    return hv_term_equal(a, b);
  return a->kind == b->kind &&
         (a->value == b->value || strcmp(a->value, b->value) == 0);
}

/* The hash slot of t: the one holding its subject id, or the empty one
 * where it would go. */
static size_t find_slot(const hv__check_index *x, const hv_graph *g,
                        const hv_term *t)
{
  size_t h = term_hash(t) & x->mask, v;

  while ((v = x->slot[h]) != 0 &&
         !same_term(&g->quads[x->first[v - 1]].s, t))
    h = (h + 1) & x->mask;
  return h;
}

hv__check_node hv__check_node_of(const hv__check_index *x, const hv_graph *g,
                                 const hv_term *t)
{
  hv__check_node n;
  size_t v = x->slot[find_slot(x, g, t)];

  n.t = t;
  n.first = v ? x->first[v - 1] : HV__CHECK_NIL;
  return n;
}

/*
 * Builds the index. The quads are visited last to first so that pushing
 * each onto the front of its subject's chain leaves every chain in graph
 * order. Returns 0 or HV_ENOMEM.
 */
int hv__check_index_build(hv__check_index *x, const hv_graph *g,
                          hv_error *err)
{
  size_t n = g->len, slots = 2, i, nsub = 0, id = HV__CHECK_NIL;

  while (slots < 2 * n)
    slots <<= 1;
  if (n <= HV__CHECK_IDX_STACK) {
    x->next = x->stack.next;
    x->first = x->stack.first;
    x->slot = x->stack.slot;
    x->pred = x->stack.pred;
    x->lead = x->stack.lead;
  } else {
    /* At most 50 bytes per quad, well below the quads' own size, so the
     * sum cannot overflow. */
    size_t words = 2 * n + slots;

    if (!(x->heap = hv_malloc(words * sizeof(size_t) + 2 * n)))
      return hv_error_oom(err);
    x->next = x->heap;
    x->first = x->next + n;
    x->slot = x->first + n;
    x->pred = (unsigned char *)(x->slot + slots);
    x->lead = x->pred + n;
  }
  x->mask = slots - 1;
  memset(x->slot, 0, slots * sizeof(*x->slot));
  for (i = n; i-- > 0;) {
    const hv_term *s = &g->quads[i].s;

    x->pred[i] = hv__check_pred_id(g->quads[i].p.value);
    x->lead[i] = 0;
    /* Triples come in runs of one subject: try the previous one first. */
    if (id == HV__CHECK_NIL || !same_term(&g->quads[x->first[id]].s, s)) {
      size_t h = find_slot(x, g, s);

      if (x->slot[h]) {
        id = x->slot[h] - 1;
      } else {
        id = nsub++;
        x->slot[h] = id + 1;
        x->first[id] = HV__CHECK_NIL;
      }
    }
    x->next[i] = x->first[id];
    x->first[id] = i;
  }
  for (id = 0; id < nsub; id++)
    x->lead[x->first[id]] = 1;
  return 0;
}

void hv__check_index_fini(hv__check_index *x)
{
  hv_free(x->heap);
  x->heap = NULL;
}
