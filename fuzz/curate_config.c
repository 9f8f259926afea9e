// Fuzzes the `curate run` config file (src/curate/pipeline_config.c).
#include "fuzz.h"

#include <stdlib.h>

#include "curate/pipeline_config.h"

int fc_fuzz_curate_config(const uint8_t *data, size_t size) {
    fc_fuzz_subdir("curate_config");
    const char *path = fc_fuzz_write("curate_config/curate.json", data, size);
    fc_pipeline_config config;
    fc_error err = {{0}};
    if (fc_pipeline_config_read(path, &config, &err) != 0) return fc_fuzz_error_named(-1, &err);
    int ok = config.output_dir && config.n_inputs > 0;
    for (size_t i = 0; ok && i < config.n_inputs; i++) ok = config.inputs[i].path != NULL;
    fc_pipeline_config_free(&config);
    return ok ? 0 : -1;
}

#ifdef FC_FUZZ_MAIN
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (fc_fuzz_curate_config(data, size) != 0) abort();
    return 0;
}
#endif
