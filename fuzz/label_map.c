// Fuzzes config.json's id2label / label2id / num_labels (src/model/label_map.c), read the way
// the model loader reads the file (src/io/json_fields.c).
#include "fuzz.h"

#include <cjson/cJSON.h>
#include <stdlib.h>

#include "io/json_fields.h"
#include "model/label_map.h"

int fc_fuzz_label_map(const uint8_t *data, size_t size) {
    fc_fuzz_subdir("label_map");
    const char *path = fc_fuzz_write("label_map/config.json", data, size);
    cJSON *root;
    fc_error err = {{0}};
    if (fc_json_load_file(path, &root, &err) != 0) return fc_fuzz_error_named(-1, &err);
    fc_label_map map;
    int rc = fc_label_map_parse(root, path, &map, &err);
    cJSON_Delete(root);
    if (rc != 0) return fc_fuzz_error_named(rc, &err);
    int ok = map.count > 0;
    for (int i = 0; ok && i < map.count; i++) // every id has a name and a canonical label or -1
        ok = map.names[i] && map.canonical[i] >= -1 && map.canonical[i] < FC_LABEL_COUNT;
    ok = ok && map.entailment_id >= -1 && map.entailment_id < map.count;
    fc_label_map_free(&map);
    return ok ? 0 : -1;
}

#ifdef FC_FUZZ_MAIN
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (fc_fuzz_label_map(data, size) != 0) abort();
    return 0;
}
#endif
