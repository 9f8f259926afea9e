// Fuzzes the BERT and RoBERTa config.json parser (model/bert/bert_config.c) on arbitrary JSON text.
#include "fuzz.h"

#include <cjson/cJSON.h>
#include <stdlib.h>

#include "model/bert/bert_config.h"

int fc_fuzz_config_bert(const uint8_t *data, size_t size) {
    cJSON *root = cJSON_ParseWithLength((const char *)data, size);
    if (!root) return 0;
    fc_bert_config config;
    fc_error err = {{0}};
    int rc = fc_bert_config_parse(root, "config.json", &config, &err);
    cJSON_Delete(root);
    return fc_fuzz_error_named(rc, &err);
}

#ifdef FC_FUZZ_MAIN
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (fc_fuzz_config_bert(data, size) != 0) abort();
    return 0;
}
#endif
