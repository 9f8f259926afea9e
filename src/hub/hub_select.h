// Which of a repository's files finecat needs, from the hub's listing of them (the
// "siblings" of GET /api/models/{repo}/revision/{rev}): what fc_model_load reads, no more.
// A repository holds much else (pytorch_model.bin, onnx/, README.md) that would cost time
// and disk for nothing.
#ifndef FC_HUB_SELECT_H
#define FC_HUB_SELECT_H

#include <stddef.h>

#include "finecat.h"

typedef struct fc_hub_file_list {
    char **names;
    size_t count;
} fc_hub_file_list;

void fc_hub_file_list_add(fc_hub_file_list *list, const char *name); // once per name
void fc_hub_file_list_free(fc_hub_file_list *list);

// The files to fetch, in order: config.json, the tokenizer files present (tokenizer.json,
// spm.model, tokenizer_config.json, special_tokens_map.json, added_tokens.json), then
// model.safetensors, or else model.safetensors.index.json (*sharded set; its shards come
// from fc_hub_index_shards once it is here). siblings_json is the API's answer; an error
// names repo and what is missing (no config.json, no safetensors weights, no tokenizer).
int fc_hub_select_files(const char *siblings_json, const char *repo, fc_hub_file_list *out, int *sharded,
                        char *commit, fc_error *err);

// The shard files an index's weight_map names, each once, in order of first appearance.
int fc_hub_index_shards(const char *index_path, fc_hub_file_list *out, fc_error *err);

#endif
