#include "hub/hub_select.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "hub/hub_id.h"
#include "io/json_fields.h"
#include "util/alloc.h"
#include "util/error.h"

void fc_hub_file_list_add(fc_hub_file_list *list, const char *name) {
    for (size_t i = 0; i < list->count; i++)
        if (strcmp(list->names[i], name) == 0) return;
    list->names = fc_realloc(list->names, (list->count + 1) * sizeof *list->names);
    list->names[list->count++] = fc_strdup(name);
}

void fc_hub_file_list_free(fc_hub_file_list *list) {
    for (size_t i = 0; i < list->count; i++) free(list->names[i]);
    free(list->names);
    memset(list, 0, sizeof *list);
}

static int has_sibling(const cJSON *siblings, const char *name) {
    const cJSON *entry;
    cJSON_ArrayForEach(entry, siblings) {
        const cJSON *file = cJSON_GetObjectItemCaseSensitive(entry, "rfilename");
        if (cJSON_IsString(file) && strcmp(file->valuestring, name) == 0) return 1;
    }
    return 0;
}

int fc_hub_select_files(const char *siblings_json, const char *repo, fc_hub_file_list *out, int *sharded,
                        char *commit, fc_error *err) {
    memset(out, 0, sizeof *out);
    *sharded = 0;
    cJSON *info = cJSON_Parse(siblings_json);
    int rc = -1;
    const cJSON *siblings = cJSON_GetObjectItemCaseSensitive(info, "siblings");
    const cJSON *sha = cJSON_GetObjectItemCaseSensitive(info, "sha");
    if (!cJSON_IsObject(info) || !cJSON_IsArray(siblings)) {
        fc_fail(err, "%s: the hub's answer about the repository is not the JSON expected (no \"siblings\" list)",
                repo);
    } else if (!cJSON_IsString(sha) || !fc_hub_is_commit_sha(sha->valuestring)) {
        fc_fail(err, "%s: the hub's answer about the repository has no commit \"sha\"", repo);
    } else if (!has_sibling(siblings, "config.json")) {
        fc_fail(err, "%s: the repository has no config.json: not a transformers model", repo);
    } else if (!has_sibling(siblings, "model.safetensors") && !has_sibling(siblings, "model.safetensors.index.json")) {
        fc_fail(err, "%s: the repository has neither model.safetensors nor model.safetensors.index.json; "
                     "finecat reads safetensors weights only (pytorch_model.bin can be converted with transformers' "
                     "save_pretrained)", repo);
    } else if (!has_sibling(siblings, "tokenizer.json") && !has_sibling(siblings, "spm.model")) {
        fc_fail(err, "%s: the repository has neither tokenizer.json nor spm.model, one of which finecat's "
                     "tokenizer needs", repo);
    } else {
        memcpy(commit, sha->valuestring, 41);
        fc_hub_file_list_add(out, "config.json");
        static const char *const tokenizer_files[] = {"tokenizer.json", "spm.model", "tokenizer_config.json",
                                                      "special_tokens_map.json", "added_tokens.json"};
        for (size_t i = 0; i < sizeof tokenizer_files / sizeof tokenizer_files[0]; i++)
            if (has_sibling(siblings, tokenizer_files[i])) fc_hub_file_list_add(out, tokenizer_files[i]);
        if (has_sibling(siblings, "model.safetensors")) {
            fc_hub_file_list_add(out, "model.safetensors");
        } else {
            fc_hub_file_list_add(out, "model.safetensors.index.json");
            *sharded = 1;
        }
        rc = 0;
    }
    cJSON_Delete(info);
    return rc;
}

// A shard name from an index: a relative path in the repository, never one that climbs out
// of the snapshot folder.
static int is_safe_relative(const char *name) {
    if (!*name || name[0] == '/' || strstr(name, "..") || strchr(name, '\\')) return 0;
    return 1;
}

int fc_hub_index_shards(const char *index_path, fc_hub_file_list *out, fc_error *err) {
    memset(out, 0, sizeof *out);
    cJSON *index = NULL;
    if (fc_json_load_file(index_path, &index, err) != 0) return -1;
    const cJSON *map = cJSON_GetObjectItemCaseSensitive(index, "weight_map");
    int rc = 0;
    if (!cJSON_IsObject(map) || !map->child) {
        rc = fc_fail(err, "%s: no \"weight_map\" object with entries", index_path);
    } else {
        const cJSON *entry;
        cJSON_ArrayForEach(entry, map) {
            if (!cJSON_IsString(entry) || !is_safe_relative(entry->valuestring)) {
                rc = fc_fail(err, "%s: weight_map[\"%s\"] is not a file name in the repository", index_path,
                             entry->string);
                break;
            }
            fc_hub_file_list_add(out, entry->valuestring);
        }
    }
    cJSON_Delete(index);
    if (rc != 0) fc_hub_file_list_free(out);
    return rc;
}
