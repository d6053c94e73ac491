/*
 * Internals shared by the store's own files: the migration list that
 * store.c applies on open. Nothing outside harvester/store includes this.
 */
#ifndef HV_STORE_STORE_INT_H
#define HV_STORE_STORE_INT_H

#include <stddef.h>

/* One schema step: a name for messages and the SQL that performs it. */
typedef struct hv__store_migration {
  const char *name; /* short description, shown when a step fails */
  const char *sql;  /* one or more statements, run in one transaction */
} hv__store_migration;

/*
 * The migrations in the order they are applied. Step i (0-based) brings
 * the schema to version i + 1, which is stored in PRAGMA user_version.
 * Steps are only ever appended; a released step is never edited.
 */
extern const hv__store_migration hv__store_migrations[];
extern const size_t hv__store_migration_count;

#endif
