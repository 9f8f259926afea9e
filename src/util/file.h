// Whole-file reads and path joins, with errors that name the file.
#ifndef FC_UTIL_FILE_H
#define FC_UTIL_FILE_H

#include <stddef.h>

#include "finecat.h"

// Reads the whole file into a NUL-terminated buffer (the NUL is not counted in *size).
int fc_read_file(const char *path, char **data, size_t *size, fc_error *err);

// Returns a newly allocated "dir/name".
char *fc_path_join(const char *dir, const char *name);

// 1 if path names an existing regular file.
int fc_file_exists(const char *path);

#endif
