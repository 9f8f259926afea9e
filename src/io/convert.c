#include "io/convert.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cjson/cJSON.h>

#include "io/json_fields.h"
#include "io/json_spelling.h"
#include "io/safetensors.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/file.h"

// Files of a model folder besides the weights and config that travel with it.
static const char *const companions[] = {"tokenizer.json", "tokenizer_config.json",
                                         "special_tokens_map.json", "vocab.txt", "vocab.json",
                                         "merges.txt", "spm.model", "added_tokens.json",
                                         "README.md"};

static int write_bytes(const char *path, const char *data, size_t len, fc_error *err) {
    char *tmp = fc_malloc(strlen(path) + 8);
    sprintf(tmp, "%s.part", path);
    FILE *f = fopen(tmp, "wb");
    int ok = f && fwrite(data, 1, len, f) == len;
    if (f && fclose(f) != 0) ok = 0;
    if (ok && rename(tmp, path) != 0) ok = 0;
    int rc = ok ? 0 : fc_fail(err, "%s: cannot write: %s", path, strerror(errno));
    if (!ok) remove(tmp);
    free(tmp);
    return rc;
}

static int copy_file(const char *src_dir, const char *dst_dir, const char *name, fc_error *err) {
    char *src = fc_path_join(src_dir, name), *dst = fc_path_join(dst_dir, name);
    int rc = 0;
    if (fc_file_exists(src)) {
        char *data = NULL;
        size_t len = 0;
        rc = fc_read_file(src, &data, &len, err);
        if (rc == 0) rc = write_bytes(dst, data, len, err);
        free(data);
    }
    free(src);
    free(dst);
    return rc;
}

static int write_config(const char *src_dir, const char *dst_dir, fc_dtype dtype, fc_error *err) {
    char *src = fc_path_join(src_dir, "config.json"), *dst = fc_path_join(dst_dir, "config.json");
    char *text = NULL;
    cJSON *config = NULL;
    int rc = fc_read_file(src, &text, NULL, err);
    if (rc == 0) rc = fc_json_load_file(src, &config, err);
    if (rc == 0 && !cJSON_IsObject(config)) rc = fc_fail(err, "%s: must hold a JSON object", src);
    if (rc == 0) {
        fc_json_keep_number_spelling(config, text);
        const char *name = dtype == FC_DTYPE_F16 ? "float16"
                           : dtype == FC_DTYPE_BF16 ? "bfloat16" : "float32";
        // transformers v4 writes torch_dtype, v5 dtype: keep whichever the file has.
        const char *key = cJSON_GetObjectItemCaseSensitive(config, "dtype") ? "dtype" : "torch_dtype";
        cJSON_DeleteItemFromObjectCaseSensitive(config, key);
        cJSON_AddStringToObject(config, key, name);
        char *out = cJSON_Print(config);
        size_t len = strlen(out);
        out = fc_realloc(out, len + 2);
        out[len++] = '\n';
        rc = write_bytes(dst, out, len, err);
        free(out);
    }
    cJSON_Delete(config);
    free(text);
    free(src);
    free(dst);
    return rc;
}

static int is_float(fc_dtype d) {
    return d == FC_DTYPE_F32 || d == FC_DTYPE_F16 || d == FC_DTYPE_BF16;
}

int fc_checkpoint_convert(const char *src, const char *dst, fc_dtype dtype, fc_error *err) {
    if (!is_float(dtype)) return fc_fail(err, "convert: the target dtype must be F32, F16 or BF16");
    if (mkdir(dst, 0755) != 0 && errno != EEXIST)
        return fc_fail(err, "%s: cannot create the folder: %s", dst, strerror(errno));
    fc_safetensors *st = NULL;
    if (fc_safetensors_open_dir(src, &st, err) != 0) return -1;
    size_t n = fc_safetensors_count(st);
    fc_tensor_out *out = fc_calloc(n ? n : 1, sizeof *out);
    void **owned = fc_calloc(n ? n : 1, sizeof *owned);
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        const fc_tensor *t = fc_safetensors_at(st, i);
        out[i].name = t->name;
        out[i].ndim = t->ndim;
        size_t count = 1;
        for (int d = 0; d < t->ndim; d++) {
            out[i].shape[d] = t->shape[d];
            count *= (size_t)t->shape[d];
        }
        if (!is_float(t->dtype) || t->dtype == dtype) {
            if (t->dtype == FC_DTYPE_OTHER) {
                rc = fc_fail(err, "%s: tensor \"%s\" has dtype %s, which finecat cannot write",
                             t->path, t->name, t->dtype_name);
                break;
            }
            out[i].dtype = t->dtype;
            out[i].data = t->data;
            continue;
        }
        float *f32 = fc_malloc((count ? count : 1) * sizeof *f32);
        rc = fc_safetensors_read_f32(st, t->name, t->ndim, t->shape, f32, err);
        out[i].dtype = dtype;
        if (dtype == FC_DTYPE_F32) {
            owned[i] = f32;
        } else {
            uint16_t *half = fc_malloc((count ? count : 1) * sizeof *half);
            for (size_t k = 0; k < count; k++) {
                half[k] = dtype == FC_DTYPE_F16 ? fc_f32_to_f16(f32[k]) : fc_f32_to_bf16(f32[k]);
                // f16 tops out at 65504: a weight beyond it would become infinity.
                if (dtype == FC_DTYPE_F16 && (half[k] & 0x7c00) == 0x7c00 && isfinite(f32[k]) &&
                    rc == 0)
                    rc = fc_fail(err, "%s: tensor \"%s\" holds %g, beyond the range of f16 "
                                      "(use bf16)", t->path, t->name, (double)f32[k]);
            }
            free(f32);
            owned[i] = half;
        }
        out[i].data = owned[i];
    }
    if (rc == 0) {
        char *path = fc_path_join(dst, "model.safetensors");
        rc = fc_safetensors_write(path, out, n, err);
        free(path);
    }
    for (size_t i = 0; i < n; i++) free(owned[i]);
    free(owned);
    free(out);
    fc_safetensors_close(st);
    if (rc == 0) rc = write_config(src, dst, dtype, err);
    for (size_t i = 0; rc == 0 && i < sizeof companions / sizeof companions[0]; i++)
        rc = copy_file(src, dst, companions[i], err);
    return rc;
}
