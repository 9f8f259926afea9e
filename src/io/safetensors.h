// safetensors checkpoints: a strict reader over mmapped files (one file or the shards of a
// model.safetensors.index.json), conversion of F32/F16/BF16 tensors to float32, and an atomic
// writer whose files transformers loads back. The format and the validation rules follow
// docs/model-reference.md §1 and the reference reader (safetensors/src/tensor.rs).
#ifndef FC_IO_SAFETENSORS_H
#define FC_IO_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>

#include "finecat.h"
#include "io/dtype.h"

#define FC_SAFETENSORS_MAX_DIMS 8

// One tensor of an open checkpoint. Everything it points to lives until
// fc_safetensors_close: name and path are owned by the reader, data points into the mapping.
typedef struct fc_tensor {
    const char *name;
    fc_dtype dtype;
    const char *dtype_name; // the file's dtype string ("F32", "U16", "F8_E4M3", ...)
    int ndim;               // 0 for a scalar (shape [])
    int64_t shape[FC_SAFETENSORS_MAX_DIMS];
    const void *data; // little-endian, row-major; aligned only as the file placed it
    size_t nbytes;
    const char *path; // the file that holds the tensor
} fc_tensor;

typedef struct fc_safetensors fc_safetensors;

// Maps one .safetensors file and validates its header and layout completely; any violation is
// an error naming the file and the problem. Nothing is read outside the file.
int fc_safetensors_open_file(const char *path, fc_safetensors **out, fc_error *err);

// Opens a checkpoint folder: DIR/model.safetensors, else the shards named by
// DIR/model.safetensors.index.json (each opened once; a tensor the index lists but its shard
// lacks, and a tensor present in two shards, are errors). A folder that holds only
// pytorch_model.bin gets an error saying that only safetensors is supported.
int fc_safetensors_open_dir(const char *dir, fc_safetensors **out, fc_error *err);

// Unmaps the files; every fc_tensor and view obtained from st becomes invalid. NULL is a no-op.
void fc_safetensors_close(fc_safetensors *st);

// Tensors in order of name (strcmp), across all shards; __metadata__ is not a tensor.
size_t fc_safetensors_count(const fc_safetensors *st);
// The i-th tensor, or NULL when i >= count.
const fc_tensor *fc_safetensors_at(const fc_safetensors *st, size_t i);
// Binary search by exact name. When the name is absent and ends in "LayerNorm.weight" or
// "LayerNorm.bias", the legacy "LayerNorm.gamma" / "LayerNorm.beta" tensor is returned instead,
// as transformers renames them on load. NULL when neither exists.
const fc_tensor *fc_safetensors_find(const fc_safetensors *st, const char *name);

// Whether t has exactly ndim dimensions equal to shape.
int fc_tensor_has_shape(const fc_tensor *t, int ndim, const int64_t *shape);

// Copies tensor `name` into dst as float32 (F32 copied, F16 and BF16 widened exactly). The
// tensor must have exactly ndim dimensions equal to shape (ndim 0: a scalar; shape may then be
// NULL). dst holds product(shape) floats. A missing tensor, another shape or another dtype is
// an error that names the file, the tensor and expected versus actual.
int fc_safetensors_read_f32(const fc_safetensors *st, const char *name, int ndim,
                            const int64_t *shape, float *dst, fc_error *err);

// Tensor `name` as float32 of exactly this shape, the way the models bind their weights: a
// pointer into the mapping when it is aligned F32 of that shape (*copy set to NULL), else a
// widened copy returned in *copy, which the caller frees. NULL on an error (missing tensor,
// other shape, unsupported dtype) with err set as fc_safetensors_read_f32 sets it.
const float *fc_safetensors_f32(const fc_safetensors *st, const char *name, int ndim,
                                const int64_t *shape, float **copy, fc_error *err);

// A pointer straight into the mapping when tensor `name` is F32 and 4-byte aligned (zero-copy
// fp32 weights), else NULL (absent, another dtype, or misaligned: use read_f32 then).
const float *fc_safetensors_f32_view(const fc_safetensors *st, const char *name);

// One tensor to write: data holds product(shape) elements of dtype, little-endian, row-major.
typedef struct fc_tensor_out {
    const char *name;
    fc_dtype dtype; // any named dtype; FC_DTYPE_OTHER cannot be written
    int ndim;
    int64_t shape[FC_SAFETENSORS_MAX_DIMS];
    const void *data; // may be NULL only when the tensor has 0 elements
} fc_tensor_out;

// Writes a checkpoint transformers loads: header with __metadata__ {"format":"pt"}, padded
// with spaces so that the data starts 8-aligned, tensors laid out contiguously ordered by
// element size (largest first) then name, as the reference writer does, so that every tensor
// is aligned to its element size. Written to PATH.tmp.<pid>, fsynced, then renamed over path,
// so readers never see a partial file. Duplicate or empty names are errors.
int fc_safetensors_write(const char *path, const fc_tensor_out *tensors, size_t n, fc_error *err);

#endif
