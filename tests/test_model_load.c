// Loading checkpoint folders, and every way a folder can be broken: each must fail with a
// message that names the file and the problem, never crash (this suite also runs under
// ASan+UBSan in CI).
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "finecat.h"
#include "harness.h"
#include "io/safetensors.h"
#include "util/alloc.h"
#include "util/file.h"

static const char *const model_files[] = {"config.json", "model.safetensors", "tokenizer.json",
                                          "tokenizer_config.json", "special_tokens_map.json"};

static char *fixture_model(const char *name) {
    char path[512];
    snprintf(path, sizeof path, "%s/modernbert/%s", fc_test_fixtures_dir(), name);
    return fc_strdup(path);
}

static void write_bytes(const char *path, const char *data, size_t size) {
    FILE *f = fopen(path, "wb");
    if (!f) return;
    fwrite(data, 1, size, f);
    fclose(f);
}

// A scratch copy of tiny-mean in a fresh temp folder; the caller then breaks one file.
static char *copy_model(void) {
    char *src = fixture_model("tiny-mean");
    char tmpl[] = "/tmp/finecat-model-XXXXXX";
    char *dir = fc_strdup(mkdtemp(tmpl));
    for (size_t i = 0; i < sizeof model_files / sizeof model_files[0]; i++) {
        char *from = fc_path_join(src, model_files[i]), *to = fc_path_join(dir, model_files[i]);
        char *data;
        size_t size;
        fc_error err;
        if (fc_read_file(from, &data, &size, &err) == 0) {
            write_bytes(to, data, size);
            free(data);
        }
        free(from);
        free(to);
    }
    free(src);
    return dir;
}

static void remove_model(char *dir) {
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
    free(dir);
}

// The CLI on the same broken folder: exit status 1 (not a crash), and the message on stderr.
static void expect_cli_error(const char *dir, const char *phrase) {
    const char *bin = getenv("FINECAT_BIN") ? getenv("FINECAT_BIN") : "build/finecat";
    if (access(bin, X_OK) != 0) return; // the library checks above still ran
    char err_path[] = "/tmp/finecat-cli-err-XXXXXX";
    int fd = mkstemp(err_path);
    if (fd < 0) return;
    close(fd);
    char command[2048];
    snprintf(command, sizeof command, "%s nli --model '%s' 'A premise.' 'A hypothesis.' "
             ">/dev/null 2>%s", bin, dir, err_path);
    int raw = system(command);
    CHECK(raw != -1 && WIFEXITED(raw) && WEXITSTATUS(raw) == 1);
    char *text = NULL;
    fc_error err;
    if (fc_read_file(err_path, &text, NULL, &err) == 0) {
        int ok = strncmp(text, "finecat: ", 9) == 0 && strstr(text, phrase) != NULL;
        if (!ok) fprintf(stderr, "  CLI stderr was: %s\n", text);
        CHECK(ok);
        free(text);
    }
    unlink(err_path);
}

// Loads dir and checks that it fails with a message containing both phrases, in the library
// and through the CLI.
static void expect_load_error(const char *dir, const char *phrase1, const char *phrase2) {
    fc_model *model = NULL;
    fc_error err = {{0}};
    int rc = fc_model_load(dir, &model, &err);
    CHECK(rc == -1 && model == NULL);
    int ok = strstr(err.message, phrase1) && (!phrase2 || strstr(err.message, phrase2));
    if (!ok) fprintf(stderr, "  message was: %s\n", err.message);
    CHECK(ok);
    fc_model_free(model);
    expect_cli_error(dir, phrase2 ? phrase2 : phrase1);
}

// Rewrites config.json of dir through an edit function.
static void edit_config(const char *dir, void (*edit)(cJSON *)) {
    char *path = fc_path_join(dir, "config.json");
    char *text;
    size_t size;
    fc_error err;
    if (fc_read_file(path, &text, &size, &err) == 0) {
        cJSON *root = cJSON_Parse(text);
        edit(root);
        char *out = cJSON_Print(root);
        write_bytes(path, out, strlen(out));
        free(out);
        cJSON_Delete(root);
        free(text);
    }
    free(path);
}

static void drop_hidden_size(cJSON *root) {
    cJSON_DeleteItemFromObject(root, "hidden_size");
}
static void string_layers(cJSON *root) {
    cJSON_ReplaceItemInObject(root, "num_hidden_layers", cJSON_CreateString("five"));
}
static void unknown_type(cJSON *root) {
    cJSON_ReplaceItemInObject(root, "model_type", cJSON_CreateString("gpt2"));
}
// "id2label": {} with no label2id and no num_labels once crashed the label mapping (issue 14):
// it now means the default two labels, which the checkpoint's classifier then contradicts.
static void empty_id2label(cJSON *root) {
    cJSON_ReplaceItemInObject(root, "id2label", cJSON_CreateObject());
    cJSON_DeleteItemFromObject(root, "label2id");
    cJSON_DeleteItemFromObject(root, "num_labels");
}
static void bad_id2label(cJSON *root) {
    cJSON *map = cJSON_CreateObject();
    cJSON_AddStringToObject(map, "0", "entailment");
    cJSON_AddStringToObject(map, "7", "neutral");
    cJSON_ReplaceItemInObject(root, "id2label", map);
}
static void huge_hidden_size(cJSON *root) {
    cJSON_ReplaceItemInObject(root, "hidden_size", cJSON_CreateNumber(1e9));
}
static void zero_local_attention(cJSON *root) {
    cJSON_ReplaceItemInObject(root, "local_attention", cJSON_CreateNumber(0));
}
static void wrong_hidden_size(cJSON *root) {
    cJSON_ReplaceItemInObject(root, "hidden_size", cJSON_CreateNumber(32));
}
static void tanh_activation(cJSON *root) {
    cJSON_ReplaceItemInObject(root, "hidden_activation", cJSON_CreateString("gelu_pytorch_tanh"));
}

static void test_good_models(void) {
    const char *names[] = {"tiny-mean", "tiny-cls", "tiny-bf16"};
    for (int i = 0; i < 3; i++) {
        char *dir = fixture_model(names[i]);
        fc_model *model = NULL;
        fc_error err;
        int rc = fc_model_load(dir, &model, &err);
        if (rc != 0) fprintf(stderr, "  %s: %s\n", names[i], err.message);
        CHECK(rc == 0);
        if (model) {
            CHECK(fc_model_num_labels(model) == 3);
            CHECK(fc_model_max_length(model) == 512); // tokenizer "unlimited", positions 512
            // Every fixture has a different id order; each id must map back to its name.
            int seen[3] = {0, 0, 0};
            for (int id = 0; id < 3; id++) {
                int canon = fc_model_canonical_label(model, id);
                CHECK(canon >= 0 && canon < 3);
                if (canon >= 0 && canon < 3) seen[canon]++;
            }
            CHECK(seen[0] == 1 && seen[1] == 1 && seen[2] == 1);
        }
        fc_model_free(model);
        free(dir);
    }
    // tiny-cls names its labels in upper case, id 2 = ENTAILMENT.
    char *dir = fixture_model("tiny-cls");
    fc_model *model = NULL;
    fc_error err;
    if (fc_model_load(dir, &model, &err) == 0) {
        CHECK(strcmp(fc_model_label_name(model, 2), "ENTAILMENT") == 0);
        CHECK(fc_model_canonical_label(model, 2) == FC_LABEL_ENTAILMENT);
        CHECK(fc_model_canonical_label(model, 0) == FC_LABEL_NEUTRAL);
        CHECK(fc_model_label_name(model, 3) == NULL);
    }
    fc_model_free(model);
    free(dir);
}

static void test_broken_configs(void) {
    expect_load_error("/nonexistent/finecat-model", "/nonexistent/finecat-model",
                      "no such directory");
    struct {
        void (*edit)(cJSON *);
        const char *file, *phrase;
    } cases[] = {
        {drop_hidden_size, "config.json", "missing key \"hidden_size\""},
        {string_layers, "config.json", "\"num_hidden_layers\" must be a number"},
        {unknown_type, "config.json", "model_type \"gpt2\" is not supported"},
        {empty_id2label, "model.safetensors", "shape"},
        {huge_hidden_size, "config.json", "beyond any ModernBERT"},
        {zero_local_attention, "config.json", "local_attention must be at least 2"},
        {bad_id2label, "config.json", "id2label key \"7\""},
        {wrong_hidden_size, "model.safetensors", "shape"},
        {tanh_activation, "config.json", "gelu_pytorch_tanh"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *dir = copy_model();
        edit_config(dir, cases[i].edit);
        expect_load_error(dir, cases[i].file, cases[i].phrase);
        remove_model(dir);
    }
    char *dir = copy_model();
    char *path = fc_path_join(dir, "config.json");
    write_bytes(path, "{\"model_type\": \"modernbert\",", 28);
    expect_load_error(dir, "config.json", "malformed JSON");
    unlink(path);
    expect_load_error(dir, "config.json", "cannot open");
    free(path);
    remove_model(dir);
}

static void test_broken_weights(void) {
    char *dir = copy_model();
    char *path = fc_path_join(dir, "model.safetensors");
    char *data;
    size_t size;
    fc_error err;
    if (fc_read_file(path, &data, &size, &err) != 0) {
        CHECK(0);
        free(path);
        remove_model(dir);
        return;
    }
    // Truncated: the last tensor runs past the end of the file.
    write_bytes(path, data, size / 2);
    expect_load_error(dir, "model.safetensors", "truncated");
    write_bytes(path, data, 5);
    expect_load_error(dir, "model.safetensors", NULL);

    // Wrong offset: shift the end of one tensor's data_offsets by 4 bytes.
    uint64_t header_len = 0;
    memcpy(&header_len, data, 8);
    char *header = fc_strndup(data + 8, (size_t)header_len);
    cJSON *root = cJSON_Parse(header);
    cJSON *entry = cJSON_GetObjectItem(root, "head.dense.weight");
    cJSON *offsets = cJSON_GetObjectItem(entry, "data_offsets");
    cJSON *end = cJSON_GetArrayItem(offsets, 1);
    cJSON_SetNumberValue(end, end->valuedouble + 4);
    char *bad = cJSON_PrintUnformatted(root);
    uint64_t bad_len = strlen(bad);
    size_t data_bytes = size - 8 - (size_t)header_len;
    char *file = fc_malloc(8 + bad_len + data_bytes);
    memcpy(file, &bad_len, 8);
    memcpy(file + 8, bad, bad_len);
    memcpy(file + 8 + bad_len, data + 8 + header_len, data_bytes);
    write_bytes(path, file, 8 + bad_len + data_bytes);
    expect_load_error(dir, "model.safetensors", NULL);
    free(file);
    free(bad);
    cJSON_Delete(root);
    free(header);

    // Missing tensor: a well-formed file that lacks head.dense.weight.
    write_bytes(path, data, size);
    fc_safetensors *st = NULL;
    if (fc_safetensors_open_file(path, &st, &err) == 0) {
        size_t n = fc_safetensors_count(st), kept = 0;
        fc_tensor_out *out = fc_calloc(n, sizeof *out);
        for (size_t i = 0; i < n; i++) {
            const fc_tensor *t = fc_safetensors_at(st, i);
            if (strcmp(t->name, "head.dense.weight") == 0) continue;
            out[kept].name = t->name;
            out[kept].dtype = t->dtype;
            out[kept].ndim = t->ndim;
            memcpy(out[kept].shape, t->shape, sizeof t->shape);
            out[kept].data = t->data;
            kept++;
        }
        char *smaller = fc_path_join(dir, "smaller.safetensors");
        CHECK(fc_safetensors_write(smaller, out, kept, &err) == 0);
        fc_safetensors_close(st);
        CHECK(rename(smaller, path) == 0);
        free(smaller);
        free(out);
        expect_load_error(dir, "missing tensor \"head.dense.weight\"", NULL);
    } else {
        CHECK(0);
    }

    // No weights at all, and a folder with only a PyTorch pickle.
    unlink(path);
    expect_load_error(dir, "model.safetensors", NULL);
    char *bin = fc_path_join(dir, "pytorch_model.bin");
    write_bytes(bin, "PK", 2);
    expect_load_error(dir, "pytorch_model.bin", NULL);
    free(bin);
    free(data);
    free(path);
    remove_model(dir);
}

static void test_broken_tokenizer(void) {
    char *dir = copy_model();
    char *path = fc_path_join(dir, "tokenizer.json");
    write_bytes(path, "{\"model\": ", 10);
    expect_load_error(dir, "tokenizer.json", NULL);
    unlink(path);
    expect_load_error(dir, "tokenizer.json", NULL);
    free(path);
    remove_model(dir);
}

void suite_model_load(void) {
    test_good_models();
    test_broken_configs();
    test_broken_weights();
    test_broken_tokenizer();
}
