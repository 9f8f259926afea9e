// Rewrites a checkpoint folder with its floating-point weights in another dtype: how a model is
// made small enough to ship (the default model is stored in f16). Every F32/F16/BF16 tensor is
// converted (rounded to nearest even), other tensors are copied as they are, config.json gets
// the new torch_dtype, and the tokenizer files and model card are copied. transformers loads
// the result as it loads any checkpoint.
#ifndef FC_IO_CONVERT_H
#define FC_IO_CONVERT_H

#include "finecat.h"
#include "io/dtype.h"

// dtype is FC_DTYPE_F32, FC_DTYPE_F16 or FC_DTYPE_BF16. dst is created if needed; its files
// are replaced. Errors name the file and the problem.
int fc_checkpoint_convert(const char *src, const char *dst, fc_dtype dtype, fc_error *err);

#endif
