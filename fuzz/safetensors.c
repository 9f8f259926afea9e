// Fuzzes the safetensors reader (src/io/safetensors.c): a .safetensors file of arbitrary
// bytes is opened, and every tensor it holds is looked up and read as float32.
#include "fuzz.h"

#include <stdlib.h>

#include "io/safetensors.h"

int fc_fuzz_safetensors(const uint8_t *data, size_t size) {
    fc_fuzz_subdir("safetensors");
    const char *path = fc_fuzz_write("safetensors/model.safetensors", data, size);
    fc_safetensors *st = NULL;
    fc_error err = {{0}};
    if (fc_safetensors_open_file(path, &st, &err) != 0) return fc_fuzz_error_named(-1, &err);
    int rc = fc_fuzz_read_tensors(st);
    fc_safetensors_close(st);
    return rc;
}

#ifdef FC_FUZZ_MAIN
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (fc_fuzz_safetensors(data, size) != 0) abort();
    return 0;
}
#endif
