// The cache layout huggingface_hub writes and transformers reads (file_download.py):
//   CACHE/models--org--name/blobs/<etag>                 the files' contents, by etag
//   CACHE/models--org--name/snapshots/<commit>/<file>    relative symlinks ../../blobs/<etag>
//   CACHE/models--org--name/refs/<revision>              the commit sha a branch or tag was at
//   CACHE/.locks/models--org--name/<etag>.lock           one download of a blob at a time
#ifndef FC_HUB_CACHE_H
#define FC_HUB_CACHE_H

#include "finecat.h"
#include "hub/hub_id.h"

// Writes CACHE/CACHEDIR.TAG when absent, as huggingface_hub does, so that backup tools skip
// the cache (https://bford.info/cachedir/). Best effort: a read-only cache is no error.
void fc_hub_cache_tag(const char *cache_dir);

// CACHE/models--org--name (free() it).
char *fc_hub_cache_repo_dir(const char *cache_dir, const char *repo);

// mkdir -p.
int fc_hub_mkdirs(const char *path, fc_error *err);

// The commit sha refs/<revision> holds, into commit (41 bytes): 1 when found, 0 when there is
// no such ref (or it holds no sha).
int fc_hub_cache_read_ref(const char *repo_dir, const char *revision, char *commit);
// Writes refs/<revision> through a temporary file and a rename, when it differs.
int fc_hub_cache_write_ref(const char *repo_dir, const char *revision, const char *commit, fc_error *err);

// snapshots/<commit>/<file> -> ../../blobs/<etag> (one more ../ per folder in file), made
// under a temporary name and renamed over whatever was there.
int fc_hub_cache_link(const char *repo_dir, const char *commit, const char *file, const char *etag,
                      fc_error *err);

// 1 when the snapshot folder holds what fc_model_load reads: config.json and the weights
// (model.safetensors, or the index and every shard it names), each a link to a present blob.
int fc_hub_cache_snapshot_complete(const char *snapshot_dir);

// The complete snapshot of id in the cache (free() it): the commit sha given as revision,
// else the commit refs/<revision> names. NULL when the cache does not hold it.
char *fc_hub_cache_find(const char *cache_dir, const fc_hub_id *id);

#endif
