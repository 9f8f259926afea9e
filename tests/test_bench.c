// The benchmark's building blocks: random-weight checkpoints of a config (loadable,
// deterministic, config numbers kept as spelled) and the FLOP model.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench/bench.h"
#include "bench/flops.h"
#include "bench/random_checkpoint.h"
#include "finecat.h"
#include "harness.h"
#include "io/safetensors.h"
#include "util/alloc.h"
#include "util/file.h"

static void remove_dir(const char *dir) {
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
}

static char *read_all(const char *dir, const char *name, size_t *size) {
    char *path = fc_path_join(dir, name), *data = NULL;
    fc_error err;
    if (fc_read_file(path, &data, size, &err) != 0) data = NULL;
    free(path);
    return data;
}

// Writes config's random checkpoint into a and b with one seed: the same bytes.
static void check_same_bytes(const char *config, const char *a, const char *b) {
    fc_error err;
    CHECK(fc_write_random_checkpoint(config, a, 7, FC_DTYPE_F32, &err) == 0);
    CHECK(fc_write_random_checkpoint(config, b, 7, FC_DTYPE_F32, &err) == 0);
    size_t size_a = 0, size_b = 0;
    char *wa = read_all(a, "model.safetensors", &size_a);
    char *wb = read_all(b, "model.safetensors", &size_b);
    CHECK(wa && wb && size_a == size_b && memcmp(wa, wb, size_a) == 0);
    free(wa);
    free(wb);
}

// dir loads and gives one pair finite logits that are not all alike.
static void check_runs(const char *dir) {
    fc_error err;
    fc_model *model = NULL;
    CHECK(fc_model_load(dir, &model, &err) == 0);
    if (model) {
        fc_pair pair = {"A man is playing a guitar.", "A person makes music."};
        float logits[3];
        CHECK(fc_nli_logits(model, &pair, 1, NULL, logits, &err) == 0);
        CHECK(logits[0] == logits[0] && logits[1] != logits[2]);
    }
    fc_model_free(model);
}

static void test_random_checkpoint(void) {
    char config[512];
    snprintf(config, sizeof config, "%s/modernbert/tiny-cls/config.json", fc_test_fixtures_dir());
    char a[] = "/tmp/finecat-rand-XXXXXX", b[] = "/tmp/finecat-rand-XXXXXX";
    if (!mkdtemp(a) || !mkdtemp(b)) {
        CHECK(0);
        return;
    }
    check_same_bytes(config, a, b);
    char *text = read_all(a, "config.json", NULL);
    // tiny-cls keeps its label names and "norm_eps": 1e-05 spelled as written.
    CHECK(text && strstr(text, "1e-05") && strstr(text, "ENTAILMENT"));
    free(text);
    check_runs(a);
    fc_error err;
    CHECK(fc_write_random_checkpoint("/nonexistent/config.json", a, 1, FC_DTYPE_F32, &err) == -1);
    CHECK(strstr(err.message, "/nonexistent/config.json") != NULL);
    remove_dir(a);
    remove_dir(b);
}

// BERT and RoBERTa (through the trainer's init) and DeBERTa: the tensors transformers saved
// for the same tiny config (names and shapes), the same bytes for the same seed, loadable;
// BERT-family checkpoints in float32 only.
static void test_random_checkpoint_like(const char *family, const char *fixture) {
    char config[512], saved[512];
    snprintf(config, sizeof config, "%s/%s/%s/config.json", fc_test_fixtures_dir(), family,
             fixture);
    snprintf(saved, sizeof saved, "%s/%s/%s", fc_test_fixtures_dir(), family, fixture);
    char a[] = "/tmp/finecat-rand-XXXXXX", b[] = "/tmp/finecat-rand-XXXXXX";
    if (!mkdtemp(a) || !mkdtemp(b)) {
        CHECK(0);
        return;
    }
    check_same_bytes(config, a, b);
    fc_error err;
    fc_safetensors *mine = NULL, *theirs = NULL;
    CHECK(fc_safetensors_open_dir(a, &mine, &err) == 0);
    CHECK(fc_safetensors_open_dir(saved, &theirs, &err) == 0);
    if (mine && theirs) {
        size_t matched = 0;
        for (size_t i = 0; i < fc_safetensors_count(theirs); i++) {
            const fc_tensor *want = fc_safetensors_at(theirs, i);
            const fc_tensor *got = fc_safetensors_find(mine, want->name);
            if (got && got->dtype == FC_DTYPE_F32 &&
                fc_tensor_has_shape(got, want->ndim, want->shape))
                matched++;
            else
                printf("  random %s: %s missing or shaped differently\n", fixture, want->name);
        }
        CHECK(matched == fc_safetensors_count(theirs));
        CHECK(fc_safetensors_count(mine) == fc_safetensors_count(theirs));
    }
    fc_safetensors_close(mine);
    fc_safetensors_close(theirs);
    check_runs(a);
    if (strcmp(family, "bert") == 0) {
        CHECK(fc_write_random_checkpoint(config, a, 7, FC_DTYPE_BF16, &err) == -1);
        CHECK(strstr(err.message, "float32") != NULL && strstr(err.message, config) != NULL);
    } else {
        CHECK(fc_write_random_checkpoint(config, a, 7, FC_DTYPE_BF16, &err) == 0);
        check_runs(a);
    }
    remove_dir(a);
    remove_dir(b);
}

static void test_flops(void) {
    fc_modernbert_config c = {0};
    c.hidden_size = 4;
    c.intermediate_size = 6;
    c.num_layers = 2;
    c.is_global[0] = 1; // layer 1 local with window 1
    c.local_window = 1;
    int32_t offsets[3] = {0, 3, 4}; // sequences of 3 and 1 tokens
    fc_flop_count f = fc_modernbert_flops(&c, offsets, 2, 3);
    // Linear per token and layer: 2·(3·16 + 16 + 2·6·4 + 6·4) = 2·136; 4 tokens, 2 layers;
    // head per sequence: 2·(16 + 12).
    CHECK_CLOSE(f.linear, 2.0 * 136 * 4 * 2 + 2.0 * 28 * 2, 1e-9);
    // Visible keys: global 3·3 + 1; local window 1 over 3 tokens: 2 + 3 + 2, plus 1.
    CHECK_CLOSE(f.attention, 4.0 * 4 * ((9 + 1) + (7 + 1)), 1e-9);
    float ref[6] = {1, 2, 3, 0, 0, 1}, other[6] = {1, 2.5f, 2, 0, 0.5f, 0.6f};
    fc_logit_agreement a = fc_compare_logits(ref, other, 2, 3);
    CHECK_CLOSE(a.max_abs_diff, 1.0, 1e-6);
    CHECK_CLOSE(a.argmax_agreement, 0.5, 1e-12);
}

void suite_bench(void) {
    test_flops();
    test_random_checkpoint();
    test_random_checkpoint_like("bert", "bert-tiny");
    test_random_checkpoint_like("bert", "roberta-tiny");
    // Relative attention with shared keys (v3), separate c2p keys and embed_proj (v2), none.
    test_random_checkpoint_like("deberta", "v3-tiny");
    test_random_checkpoint_like("deberta", "v2-c2p");
    test_random_checkpoint_like("deberta", "plain");
}
