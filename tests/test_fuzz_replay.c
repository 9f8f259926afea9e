// Replays the inputs that once broke a parser (found by the harnesses in fuzz/, committed under
// tests/fixtures/fuzz/HARNESS/) through the same harness bodies libFuzzer runs, so that every
// fixed crash stays fixed in `make test` and `make asan`. Each harness also runs once on an
// empty and a one-byte input, so that a harness that cannot start (a fixture moved) fails here.
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../fuzz/fuzz.h"
#include "harness.h"
#include "util/file.h"

typedef struct fuzz_harness {
    const char *name;
    int (*body)(const uint8_t *data, size_t size);
} fuzz_harness;

static const fuzz_harness harnesses[] = {
    {"config_modernbert", fc_fuzz_config_modernbert},
    {"config_deberta", fc_fuzz_config_deberta},
    {"config_bert", fc_fuzz_config_bert},
    {"label_map", fc_fuzz_label_map},
    {"tokenizer_json", fc_fuzz_tokenizer_json},
    {"spm_model", fc_fuzz_spm_model},
    {"encode_bpe", fc_fuzz_encode_bpe},
    {"encode_unigram", fc_fuzz_encode_unigram},
    {"encode_wordpiece", fc_fuzz_encode_wordpiece},
    {"encode_roberta", fc_fuzz_encode_roberta},
    {"safetensors", fc_fuzz_safetensors},
    {"safetensors_index", fc_fuzz_safetensors_index},
    {"data_jsonl", fc_fuzz_data_jsonl},
    {"data_table", fc_fuzz_data_table},
    {"data_senteval", fc_fuzz_data_senteval},
    {"data_detect", fc_fuzz_data_detect},
    {"request_predict", fc_fuzz_request_predict},
    {"request_zeroshot", fc_fuzz_request_zeroshot},
    {"request_check", fc_fuzz_request_check},
    {"request_rerank", fc_fuzz_request_rerank},
    {"request_tokenize", fc_fuzz_request_tokenize},
    {"curate_config", fc_fuzz_curate_config},
    {"curate_verdicts", fc_fuzz_curate_verdicts},
};

static int compare_names(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

// Runs the harness on every file of tests/fixtures/fuzz/NAME/ in name order; returns how many.
static int replay_dir(const fuzz_harness *h) {
    char dir_path[1024];
    snprintf(dir_path, sizeof dir_path, "%s/fuzz/%s", fc_test_fixtures_dir(), h->name);
    DIR *dir = opendir(dir_path);
    if (!dir) return 0;
    char **names = NULL;
    size_t n = 0;
    struct dirent *entry;
    while ((entry = readdir(dir))) {
        if (entry->d_name[0] == '.') continue;
        names = realloc(names, (n + 1) * sizeof *names);
        names[n++] = strdup(entry->d_name);
    }
    closedir(dir);
    qsort(names, n, sizeof *names, compare_names);
    for (size_t i = 0; i < n; i++) {
        char path[2048], what[2200];
        snprintf(path, sizeof path, "%s/%s", dir_path, names[i]);
        char *data = NULL;
        size_t size = 0;
        fc_error err;
        int read = fc_read_file(path, &data, &size, &err) == 0;
        snprintf(what, sizeof what, "fuzz harness %s passes on %s", h->name, path);
        fc_check_at(read && h->body((const uint8_t *)data, size) == 0, __FILE__, __LINE__, what);
        free(data);
        free(names[i]);
    }
    free(names);
    return (int)n;
}

void suite_fuzz_replay(void) {
    for (size_t i = 0; i < sizeof harnesses / sizeof harnesses[0]; i++) {
        const fuzz_harness *h = &harnesses[i];
        char what[256];
        snprintf(what, sizeof what, "fuzz harness %s runs on an empty and a one-byte input", h->name);
        fc_check_at(h->body((const uint8_t *)"", 0) == 0 && h->body((const uint8_t *)"{", 1) == 0,
                    __FILE__, __LINE__, what);
        replay_dir(h);
    }
}
