// Outputs written under a temporary name (PATH.part) and renamed into place when complete
// (design.md): a run that fails or is killed never leaves a PATH that looks finished.
#ifndef FC_CURATE_OUTPUT_FILE_H
#define FC_CURATE_OUTPUT_FILE_H

#include <stdio.h>

#include "finecat.h"

typedef struct fc_output_file {
    FILE *file;
    char *path;
    char *temporary_path;
} fc_output_file;

// Opens PATH.part for writing, with a large buffer.
int fc_output_open(fc_output_file *output, const char *path, fc_error *err);
// Flushes, syncs to disk, closes and renames PATH.part to PATH. On failure the temporary file
// is removed and err says why. The struct is released either way.
int fc_output_commit(fc_output_file *output, fc_error *err);
// Closes and removes PATH.part (after an error elsewhere). Safe on a never-opened struct.
void fc_output_abort(fc_output_file *output);

// Writes text to path the same way, in one call (small files: manifests, reports).
int fc_output_write_text(const char *path, const char *text, fc_error *err);

#endif
