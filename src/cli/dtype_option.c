#include "cli/dtype_option.h"

const char *const fc_cli_dtypes[] = {"f32", "bf16", "f16", "int8", 0};

int fc_cli_load_model(const char *dir, int dtype, fc_model **model, fc_error *err) {
    fc_model_options options = {.weights = (fc_weight_dtype)dtype};
    return fc_model_load_with(dir, &options, model, err);
}
