// Fuzzes model.safetensors.index.json (src/io/safetensors.c, open_index): the index is the
// fuzz input; beside it lie two valid shards, model-00001-of-00002.safetensors with tensors
// "a" and "b" and model-00002-of-00002.safetensors with "c".
#include "fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/safetensors.h"

static void write_shards(const char *dir) {
    static const float values[6] = {1, 2, 3, 4, 5, 6};
    fc_tensor_out first[2] = {{"a", FC_DTYPE_F32, 2, {2, 2}, values},
                              {"b", FC_DTYPE_F32, 1, {2}, values + 4}};
    fc_tensor_out second[1] = {{"c", FC_DTYPE_F32, 0, {0}, values}};
    char path[1100];
    fc_error err;
    snprintf(path, sizeof path, "%s/model-00001-of-00002.safetensors", dir);
    if (fc_safetensors_write(path, first, 2, &err) != 0) abort();
    snprintf(path, sizeof path, "%s/model-00002-of-00002.safetensors", dir);
    if (fc_safetensors_write(path, second, 1, &err) != 0) abort();
}

int fc_fuzz_safetensors_index(const uint8_t *data, size_t size) {
    static int shards_written;
    char dir[1024];
    strcpy(dir, fc_fuzz_subdir("safetensors_index"));
    if (!shards_written) {
        write_shards(dir);
        shards_written = 1;
    }
    fc_fuzz_write("safetensors_index/model.safetensors.index.json", data, size);
    fc_safetensors *st = NULL;
    fc_error err = {{0}};
    if (fc_safetensors_open_dir(dir, &st, &err) != 0) return fc_fuzz_error_named(-1, &err);
    int rc = fc_fuzz_read_tensors(st);
    fc_safetensors_close(st);
    return rc;
}

#ifdef FC_FUZZ_MAIN
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (fc_fuzz_safetensors_index(data, size) != 0) abort();
    return 0;
}
#endif
