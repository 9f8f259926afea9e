// A checkpoint's labels (config.json id2label / label2id) and their canonical NLI meaning.
#ifndef FC_MODEL_LABEL_MAP_H
#define FC_MODEL_LABEL_MAP_H

#include <cjson/cJSON.h>

#include "finecat.h"

typedef struct fc_label_map {
    int count;
    char **names;      // [count] the model's own name of each label id
    int *canonical;    // [count] fc_label of each id, or -1 when the name is no NLI label
    int entailment_id; // zero-shot pipeline rule: first label2id name starting "entail", or -1
} fc_label_map;

// Reads id2label (ids "0".."L-1"), num_labels and label2id. Without id2label the labels are
// LABEL_0..LABEL_{n-1} with n = num_labels (default 2), as transformers does.
int fc_label_map_parse(const cJSON *config, const char *path, fc_label_map *out, fc_error *err);
void fc_label_map_free(fc_label_map *map);

#endif
