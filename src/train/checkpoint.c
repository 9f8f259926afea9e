#include "train/checkpoint.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io/json_fields.h"
#include "io/json_spelling.h"
#include "io/safetensors.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/file.h"

static const char *const tokenizer_files[] = {"tokenizer.json", "tokenizer_config.json",
                                              "special_tokens_map.json"};

// Writes a whole file and fsyncs it (its folder is renamed into place afterwards).
static int write_file(const char *dir, const char *name, const char *data, size_t len,
                      fc_error *err) {
    char *path = fc_path_join(dir, name);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    int rc = 0;
    if (fd < 0) {
        rc = fc_fail(err, "%s: cannot create: %s", path, strerror(errno));
    } else {
        size_t done = 0;
        while (done < len && rc == 0) {
            ssize_t n = write(fd, data + done, len - done);
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) rc = fc_fail(err, "%s: write failed: %s", path, strerror(errno));
            else done += (size_t)n;
        }
        if (rc == 0 && fsync(fd) != 0) rc = fc_fail(err, "%s: fsync failed: %s", path, strerror(errno));
        close(fd);
    }
    free(path);
    return rc;
}

static int write_json(const char *dir, const char *name, const cJSON *json, fc_error *err) {
    char *text = cJSON_Print(json);
    size_t len = strlen(text);
    text = fc_realloc(text, len + 2);
    text[len++] = '\n';
    int rc = write_file(dir, name, text, len, err);
    free(text);
    return rc;
}

// Removes a checkpoint folder: plain files only, as this module writes them.
static void remove_folder(const char *dir) {
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        char *path = fc_path_join(dir, e->d_name);
        unlink(path);
        free(path);
    }
    closedir(d);
    rmdir(dir);
}

cJSON *fc_checkpoint_config(const fc_train_model *m) {
    cJSON *config = cJSON_Parse(m->config_text);
    fc_json_keep_number_spelling(config, m->config_text);
    cJSON_DeleteItemFromObjectCaseSensitive(config, "architectures");
    const char *arch = "ModernBertForSequenceClassification", *model_type = "modernbert";
    if (m->arch == FC_TRAIN_BERT && m->bert.config.flavor == FC_BERT_FLAVOR_ROBERTA)
        arch = "RobertaForSequenceClassification", model_type = "roberta";
    else if (m->arch == FC_TRAIN_BERT)
        arch = "BertForSequenceClassification", model_type = "bert";
    cJSON_AddItemToObject(config, "architectures", cJSON_CreateStringArray(&arch, 1));
    cJSON_DeleteItemFromObjectCaseSensitive(config, "model_type");
    cJSON_AddStringToObject(config, "model_type", model_type);
    cJSON_DeleteItemFromObjectCaseSensitive(config, "num_labels");
    cJSON_DeleteItemFromObjectCaseSensitive(config, "id2label");
    cJSON_DeleteItemFromObjectCaseSensitive(config, "label2id");
    cJSON *id2label = cJSON_AddObjectToObject(config, "id2label");
    cJSON *label2id = cJSON_AddObjectToObject(config, "label2id");
    for (int i = 0; i < m->labels.count; i++) {
        char id[16];
        snprintf(id, sizeof id, "%d", i);
        cJSON_AddStringToObject(id2label, id, m->labels.names[i]);
        cJSON_AddNumberToObject(label2id, m->labels.names[i], i);
    }
    // The weights are written in float32: a bf16 dtype left in the config would make
    // transformers v5 load them in bf16 (model-reference.md §8).
    int had_torch_dtype = cJSON_GetObjectItemCaseSensitive(config, "torch_dtype") != NULL;
    cJSON_DeleteItemFromObjectCaseSensitive(config, "torch_dtype");
    cJSON_DeleteItemFromObjectCaseSensitive(config, "dtype");
    cJSON_AddStringToObject(config, had_torch_dtype ? "torch_dtype" : "dtype", "float32");
    return config;
}

static int write_model(const char *dir, const fc_train_model *m, fc_error *err) {
    const fc_param_set *p = &m->set;
    fc_tensor_out *out = fc_calloc(p->n_tensors, sizeof *out);
    for (size_t i = 0; i < p->n_tensors; i++) {
        const fc_param_tensor *t = &p->tensors[i];
        out[i].name = t->spec.name;
        out[i].dtype = FC_DTYPE_F32;
        out[i].ndim = t->spec.ndim;
        out[i].shape[0] = t->spec.shape[0];
        out[i].shape[1] = t->spec.shape[1];
        out[i].data = p->values + t->offset;
    }
    char *path = fc_path_join(dir, "model.safetensors");
    int rc = fc_safetensors_write(path, out, p->n_tensors, err);
    free(path);
    free(out);
    if (rc != 0) return -1;
    cJSON *config = fc_checkpoint_config(m);
    rc = write_json(dir, "config.json", config, err);
    cJSON_Delete(config);
    return rc;
}

static int copy_tokenizer(const char *dir, const char *tokenizer_dir, fc_error *err) {
    for (size_t i = 0; i < sizeof tokenizer_files / sizeof tokenizer_files[0]; i++) {
        char *src = fc_path_join(tokenizer_dir, tokenizer_files[i]);
        int rc = 0;
        if (fc_file_exists(src)) {
            char *data;
            size_t len;
            rc = fc_read_file(src, &data, &len, err);
            if (rc == 0) rc = write_file(dir, tokenizer_files[i], data, len, err);
            if (rc == 0) free(data);
        }
        free(src);
        if (rc != 0) return -1;
    }
    return 0;
}

static int write_extras(const char *dir, const fc_checkpoint_extras *x, fc_error *err) {
    fc_tensor_out moments[2] = {
        {.name = "exp_avg", .dtype = FC_DTYPE_F32, .ndim = 1, .shape = {(int64_t)x->optimizer->count}, .data = x->optimizer->m},
        {.name = "exp_avg_sq", .dtype = FC_DTYPE_F32, .ndim = 1, .shape = {(int64_t)x->optimizer->count}, .data = x->optimizer->v},
    };
    char *path = fc_path_join(dir, "optimizer.safetensors");
    int rc = fc_safetensors_write(path, moments, 2, err);
    free(path);
    if (rc == 0) rc = write_json(dir, "trainer_state.json", x->state, err);
    if (rc == 0 && x->log_csv) rc = write_file(dir, "train_log.csv", x->log_csv, strlen(x->log_csv), err);
    return rc;
}

// Puts the finished folder tmp at dir: one rename, or an exchange with the folder already
// there (renameat2 RENAME_EXCHANGE, Linux) whose old contents are then removed.
static int move_into_place(const char *tmp, const char *dir, fc_error *err) {
    if (rename(tmp, dir) == 0) return 0;
    if (errno != EEXIST && errno != ENOTEMPTY)
        return fc_fail(err, "%s: cannot rename into place: %s", dir, strerror(errno));
    if (renameat2(AT_FDCWD, tmp, AT_FDCWD, dir, RENAME_EXCHANGE) == 0) {
        remove_folder(tmp); // now the previous contents
        return 0;
    }
    // No exchange on this file system: move the old folder aside first.
    size_t len = strlen(dir) + 32;
    char *old = fc_malloc(len);
    snprintf(old, len, "%s.old.%ld", dir, (long)getpid());
    int rc = 0;
    if (rename(dir, old) != 0 || rename(tmp, dir) != 0)
        rc = fc_fail(err, "%s: cannot replace: %s", dir, strerror(errno));
    else
        remove_folder(old);
    free(old);
    return rc;
}

int fc_checkpoint_save(const char *dir, const fc_train_model *m, const char *tokenizer_dir,
                       const fc_checkpoint_extras *extras, fc_error *err) {
    size_t len = strlen(dir) + 32;
    char *tmp = fc_malloc(len);
    snprintf(tmp, len, "%s.tmp.%ld", dir, (long)getpid());
    remove_folder(tmp); // a leftover of an earlier process with the same pid
    int rc = 0;
    if (mkdir(tmp, 0755) != 0) rc = fc_fail(err, "%s: cannot create: %s", tmp, strerror(errno));
    if (rc == 0) rc = write_model(tmp, m, err);
    if (rc == 0 && tokenizer_dir) rc = copy_tokenizer(tmp, tokenizer_dir, err);
    if (rc == 0 && extras) rc = write_extras(tmp, extras, err);
    if (rc == 0) rc = move_into_place(tmp, dir, err);
    if (rc != 0) remove_folder(tmp);
    free(tmp);
    return rc;
}

int fc_checkpoint_load_training(const char *dir, fc_adamw *opt, cJSON **state, char **log_csv,
                                fc_error *err) {
    *state = NULL;
    *log_csv = NULL;
    char *path = fc_path_join(dir, "optimizer.safetensors");
    fc_safetensors *st = NULL;
    int64_t shape[1] = {(int64_t)opt->count};
    int rc = fc_safetensors_open_file(path, &st, err);
    if (rc == 0) rc = fc_safetensors_read_f32(st, "exp_avg", 1, shape, opt->m, err);
    if (rc == 0) rc = fc_safetensors_read_f32(st, "exp_avg_sq", 1, shape, opt->v, err);
    fc_safetensors_close(st);
    free(path);
    if (rc != 0) return -1;
    path = fc_path_join(dir, "trainer_state.json");
    rc = fc_json_load_file(path, state, err);
    free(path);
    if (rc != 0) return -1;
    path = fc_path_join(dir, "train_log.csv");
    if (fc_file_exists(path) && fc_read_file(path, log_csv, NULL, err) != 0) rc = -1;
    free(path);
    if (rc != 0) {
        cJSON_Delete(*state);
        *state = NULL;
    }
    return rc;
}
