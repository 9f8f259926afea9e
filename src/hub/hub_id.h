// A model's name on the Hugging Face hub, as --model and `finecat pull` take it: "org/name",
// optionally "org/name@revision" (a branch, a tag or a commit sha).
#ifndef FC_HUB_ID_H
#define FC_HUB_ID_H

#include <stddef.h>

#include "finecat.h"

// huggingface_hub's validate_repo_id allows 96 characters for the whole "org/name".
#define FC_HUB_REPO_MAX 96
#define FC_HUB_REVISION_MAX 255

typedef struct fc_hub_id {
    char repo[FC_HUB_REPO_MAX + 1];         // "org/name"
    char revision[FC_HUB_REVISION_MAX + 1]; // "main" when none was given
} fc_hub_id;

// 1 when text has the shape of a hub id: two parts of letters, digits, '-', '_' and '.'
// joined by one '/', neither starting or ending with '-' or '.', no "--" or "..", then an
// optional "@revision". A relative folder such as "models/x" has that shape too; callers ask
// only after finding that no such folder exists.
int fc_hub_id_looks_like(const char *text);

// Parses "org/name[@revision]" (revision: "main" when absent). An error names the text and
// what is wrong with it.
int fc_hub_id_parse(const char *text, fc_hub_id *id, fc_error *err);

// 1 when revision is a full 40-hex-digit commit sha (what the cache's snapshots are named by).
int fc_hub_is_commit_sha(const char *revision);

// The cache folder's name of a model repository: "models--org--name", as huggingface_hub's
// repo_folder_name writes it. out must hold FC_HUB_REPO_MAX + 16 bytes.
void fc_hub_repo_folder_name(const char *repo, char *out, size_t size);

#endif
