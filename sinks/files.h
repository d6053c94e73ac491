/*
 * The files sink: the harvested catalog as N-Triples and Turtle files.
 *
 * The sink writes the published datasets of the store into DIR/catalog.nt
 * and DIR/catalog.ttl: exactly the publication's view, one copy per
 * published identity (the winner), never a superseded copy and never a
 * copy stored by pages whose resolve has not run. The files depend only on the
 * catalog's content: datasets in key order, each in its canonical form,
 * blank nodes labelled by dataset position and canonical label. Each file
 * is written to a temporary file, synced and renamed into place, so a
 * reader sees the old file or the new one, never half of one.
 */
#ifndef HV_SINKS_FILES_H
#define HV_SINKS_FILES_H

#include <stddef.h>

#include "store/store.h"
#include "util/error.h"

typedef struct hv_files_stats {
  size_t datasets; /* datasets written */
  size_t triples;  /* triples written to each file */
  size_t withheld; /* datasets left out for their violations */
} hv_files_stats;

/*
 * Writes dir/catalog.nt and dir/catalog.ttl from the publication (one
 * copy per published identity) of source_id (all sources if
 * source_id <= 0). dir must exist. stats may
 * be NULL. On error neither file is replaced.
 */
int hv_files_sink_write(hv_store *store, int64_t source_id, const char *dir,
                        hv_files_stats *stats, hv_error *err);

/*
 * The same, but with withhold_violations set the datasets stored with
 * violation findings are left out (`run --violations withhold`); they
 * stay in the store and in the quality report.
 */
int hv_files_sink_write_published(hv_store *store, int64_t source_id,
                                  const char *dir, int withhold_violations,
                                  hv_files_stats *stats, hv_error *err);

/*
 * Writes the paged export of the publication into dir/pages (see
 * files.c): page-N.ttl with page_size datasets each (0: 100), a Hydra
 * PartialCollectionView on base_iri?page=N, and etags.tsv. Each file is
 * replaced atomically; pages beyond the new last page are removed.
 * pages_out may be NULL.
 */
int hv_files_sink_write_pages(hv_store *store, const char *dir,
                              const char *base_iri, size_t page_size,
                              size_t *pages_out, hv_error *err);

/*
 * What the files sink `sink` writes at its flush: the catalog files and
 * the paged export (page_size 0: 100) of what the queued operations leave
 * that sink holding (hv_store_publication_foreach with the sink's name),
 * without datasets with violations when withhold is set (the sink's
 * `violations = withhold`). stats may be NULL.
 */
int hv_files_sink_export(hv_store *store, const char *sink, int withhold,
                         const char *dir, const char *base_iri,
                         size_t page_size, hv_files_stats *stats,
                         hv_error *err);

#endif
