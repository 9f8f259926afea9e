#include "model/label_map.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "io/json_fields.h"
#include "util/alloc.h"
#include "util/error.h"

// Parses a whole decimal label id; rejects "", "01x", negatives.
static int parse_label_id(const char *s, int *out) {
    if (!*s) return -1;
    long v = 0;
    for (const char *p = s; *p; p++) {
        if (!isdigit((unsigned char)*p) || v > 100000) return -1;
        v = v * 10 + (*p - '0');
    }
    *out = (int)v;
    return 0;
}

int fc_label_map_parse(const cJSON *config, const char *path, fc_label_map *out, fc_error *err) {
    memset(out, 0, sizeof *out);
    out->entailment_id = -1;
    const cJSON *id2label = cJSON_GetObjectItemCaseSensitive(config, "id2label");
    int num_labels = 0;
    if (id2label && !cJSON_IsNull(id2label)) {
        if (!cJSON_IsObject(id2label))
            return fc_fail(err, "%s: key \"id2label\" must be an object", path);
        num_labels = cJSON_GetArraySize(id2label);
    }
    int declared = 0;
    if (fc_json_int_or(config, "num_labels", 0, path, &declared, err) != 0) return -1;
    if (num_labels == 0) num_labels = declared > 0 ? declared : 2;
    if (declared > 0 && declared != num_labels)
        return fc_fail(err, "%s: num_labels is %d but id2label has %d entries", path, declared,
                       num_labels);
    if (num_labels > 4096) return fc_fail(err, "%s: %d labels is too many", path, num_labels);

    out->count = num_labels;
    out->names = fc_calloc((size_t)num_labels, sizeof *out->names);
    out->canonical = fc_calloc((size_t)num_labels, sizeof *out->canonical);
    // An empty id2label names nothing: the labels are LABEL_i, as without one (a config with
    // "id2label": {} once crashed here, issue 14).
    if (id2label && cJSON_IsObject(id2label) && cJSON_GetArraySize(id2label) > 0) {
        const cJSON *item;
        cJSON_ArrayForEach(item, id2label) {
            int id;
            if (parse_label_id(item->string, &id) != 0 || id >= num_labels) {
                fc_fail(err, "%s: id2label key \"%s\" is not a label id in 0..%d", path,
                        item->string, num_labels - 1);
                goto fail;
            }
            if (!cJSON_IsString(item)) {
                fc_fail(err, "%s: id2label[\"%s\"] must be a string", path, item->string);
                goto fail;
            }
            if (out->names[id]) {
                fc_fail(err, "%s: id2label has label id %d twice", path, id);
                goto fail;
            }
            out->names[id] = fc_strdup(item->valuestring);
        }
    } else {
        for (int i = 0; i < num_labels; i++) {
            char name[32];
            snprintf(name, sizeof name, "LABEL_%d", i);
            out->names[i] = fc_strdup(name);
        }
    }
    for (int i = 0; i < num_labels; i++) out->canonical[i] = fc_label_from_name(out->names[i]);

    // The zero-shot pipeline looks the entailment id up in label2id, in file order
    // (model-reference.md §6 step 3); fall back to id2label when label2id is absent.
    const cJSON *label2id = cJSON_GetObjectItemCaseSensitive(config, "label2id");
    if (label2id && cJSON_IsObject(label2id)) {
        const cJSON *item;
        cJSON_ArrayForEach(item, label2id) {
            if (strncasecmp(item->string, "entail", 6) == 0 && cJSON_IsNumber(item)) {
                int id = item->valueint;
                if (id >= 0 && id < num_labels) out->entailment_id = id;
                break;
            }
        }
    } else {
        for (int i = 0; i < num_labels && out->entailment_id < 0; i++)
            if (strncasecmp(out->names[i], "entail", 6) == 0) out->entailment_id = i;
    }
    return 0;
fail:
    fc_label_map_free(out);
    return -1;
}

void fc_label_map_free(fc_label_map *map) {
    if (map->names)
        for (int i = 0; i < map->count; i++) free(map->names[i]);
    free(map->names);
    free(map->canonical);
    memset(map, 0, sizeof *map);
}
