// Element types of safetensors checkpoints and exact conversions between float32 and the two
// 16-bit float formats (IEEE binary16 "F16" and bfloat16 "BF16").
#ifndef FC_IO_DTYPE_H
#define FC_IO_DTYPE_H

#include <stddef.h>
#include <stdint.h>

// The dtypes finecat names. Every other dtype string of the safetensors spec maps to
// FC_DTYPE_OTHER; its size is still known, so a file that holds one can be validated and its
// other tensors used.
typedef enum fc_dtype {
    FC_DTYPE_F32,
    FC_DTYPE_F16,
    FC_DTYPE_BF16,
    FC_DTYPE_F64,
    FC_DTYPE_I64,
    FC_DTYPE_I32,
    FC_DTYPE_I16,
    FC_DTYPE_I8,
    FC_DTYPE_U8,
    FC_DTYPE_BOOL,
    FC_DTYPE_OTHER,
} fc_dtype;

// One dtype string of the safetensors spec (model-reference.md §1) and its element size in
// bits: bits, not bytes, because F4 and F6_* pack elements below a byte.
typedef struct fc_dtype_info {
    const char *name;
    fc_dtype dtype;
    int bits;
} fc_dtype_info;

// The entry of a dtype string ("F32", "F8_E4M3", ...; exact case), or NULL when the string is
// no dtype of the spec.
const fc_dtype_info *fc_dtype_lookup(const char *name);

// The spec's string of a named dtype ("F32"); NULL for FC_DTYPE_OTHER.
const char *fc_dtype_name(fc_dtype dtype);

// Bytes per element of a named dtype; 0 for FC_DTYPE_OTHER.
size_t fc_dtype_size(fc_dtype dtype);

// bfloat16 is the high half of a float32: widening is exact; narrowing rounds to nearest, ties
// to even, overflows to infinity and keeps NaN a NaN (with its sign and top payload bits).
float fc_bf16_to_f32(uint16_t bits);
uint16_t fc_f32_to_bf16(float value);
// fc_f32_to_bf16 over n elements, eight at a time (loading a bf16 model converts every fp32
// weight: one call per element took most of the load).
void fc_f32_array_to_bf16(const float *src, uint16_t *dst, size_t n);

// IEEE binary16: widening is exact for every value (subnormals, ±inf, NaN payloads); narrowing
// rounds to nearest, ties to even, gives ±inf above 65504 (from 65520 up), gradual underflow to
// subnormals and ±0, and keeps NaN a NaN.
float fc_f16_to_f32(uint16_t bits);
uint16_t fc_f32_to_f16(float value);
// fc_f32_to_f16 over n elements, eight at a time by F16C's conversion (the same bits for every
// input: it rounds to nearest even and quiets NaNs keeping their top payload bits): loading an
// f16 model converts every fp32 weight, 7% of a ModernBERT-large benchmark run one at a time.
void fc_f32_array_to_f16(const float *src, uint16_t *dst, size_t n);

// Widens n little-endian 16-bit elements from src (any alignment) into dst.
void fc_f16_array_to_f32(const void *src, float *dst, size_t n);
void fc_bf16_array_to_f32(const void *src, float *dst, size_t n);

#endif
