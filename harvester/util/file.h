/*
 * Reading a whole file into a bounded buffer: configuration, profile
 * tables, sample data. Harvested content never comes through here.
 */
#ifndef HV_UTIL_FILE_H
#define HV_UTIL_FILE_H

#include "util/buf.h"
#include "util/error.h"

/*
 * Appends the content of the file at path to b (whose cap bounds it).
 * An empty file leaves b holding "". Returns 0, HV_EIO (cannot open or
 * read, naming the path), HV_ETOOBIG (larger than the cap), HV_ENOMEM.
 */
int hv_file_read(const char *path, hv_buf *b, hv_error *err);

#endif
