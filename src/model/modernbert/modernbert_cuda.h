// ModernBERT inference on an NVIDIA GPU (built only with `make CUDA=1`): the forward of
// modernbert.c, step by step, with the kernels of kernels/cuda/ and cuBLAS fp32 GEMMs (TF32
// off, so logits match the CPU and transformers to 1e-4). Weights are uploaded once at load;
// activations live in one device arena grown as batches need.
#ifndef FC_MODEL_MODERNBERT_CUDA_H
#define FC_MODEL_MODERNBERT_CUDA_H

#include <stdint.h>

#include <cjson/cJSON.h>

#include "finecat.h"
#include "io/safetensors.h"
#include "model/modernbert/modernbert_config.h"

typedef struct fc_modernbert_cuda fc_modernbert_cuda;

// CUDA devices this process can use; 0 when there is none or no usable driver.
int fc_cuda_device_count(void);

// Parses the config, binds the checkpoint's tensors as fp32 (F16/BF16 files are widened) and
// uploads them to the current CUDA device. Errors (no device, out of device memory, a head
// size the attention kernel does not take) are messages in err.
int fc_modernbert_cuda_load(const cJSON *config, const char *config_path,
                            const fc_safetensors *st, const char *weights_name, int num_labels,
                            fc_modernbert_cuda **out, fc_error *err);
void fc_modernbert_cuda_free(fc_modernbert_cuda *m);

const fc_modernbert_config *fc_modernbert_cuda_get_config(const fc_modernbert_cuda *m);

// Packed batch forward, the contract of fc_modernbert_forward: logits [n_seqs, num_labels]
// in host memory; when final_hidden is not NULL the final_norm output [total_tokens, H] is
// copied there too.
int fc_modernbert_cuda_forward(fc_modernbert_cuda *m, const int32_t *ids, const int32_t *offsets,
                               int n_seqs, float *logits, float *final_hidden, fc_error *err);

// Device memory, for benchmarks: what finecat's models hold (weights, activation arenas, RoPE
// tables) now and at most since the process started, and what cudaMemGetInfo reports in use
// on the whole device (which adds the CUDA context, cuBLAS's workspace and other processes).
typedef struct fc_cuda_memory {
    uint64_t allocated;      // bytes finecat holds now
    uint64_t peak_allocated; // the most it held at once
    uint64_t device_used;    // total − free on the device
    uint64_t device_total;
} fc_cuda_memory;

int fc_cuda_memory_info(fc_cuda_memory *out, fc_error *err);

#endif
