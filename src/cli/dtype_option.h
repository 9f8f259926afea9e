// --dtype on every command that runs a model: how the weights are held in memory and which
// kernels run them (f32; bf16 and int8 on the CPU's matrix engines; f16 stored as f16 and
// computed in fp32). The names are fc_weight_dtype's, in its order.
#ifndef FC_CLI_DTYPE_OPTION_H
#define FC_CLI_DTYPE_OPTION_H

#include "finecat.h"

// {"f32", "bf16", "f16", "int8", NULL}: the choices of an FC_ARG_CHOICE whose index is the
// fc_weight_dtype.
extern const char *const fc_cli_dtypes[];

// Loads dir with the weights held as dtype (an index into fc_cli_dtypes).
int fc_cli_load_model(const char *dir, int dtype, fc_model **model, fc_error *err);

#endif
