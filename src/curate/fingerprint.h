// Identities of inputs by content, for the records that decide whether work can be reused:
// the manifest of a sharded model pass (model_pass.h) and the stage records of `curate run`
// (pipeline.h). Content, not dates: a touched file is the same file, new weights under an old
// name are not the same model.
#ifndef FC_CURATE_FINGERPRINT_H
#define FC_CURATE_FINGERPRINT_H

#include <stddef.h>
#include <stdint.h>

#include "finecat.h"

// The identity of a model folder: every .json and .safetensors file by name, size and content,
// as 16 hex digits (hex must hold 17 bytes).
int fc_model_fingerprint(const char *dir, char *hex, size_t hex_size, fc_error *err);

// A 64-bit content hash of a whole file and its size, for fingerprints.
int fc_file_fingerprint(const char *path, uint64_t *hash, uint64_t *size, fc_error *err);

#endif
