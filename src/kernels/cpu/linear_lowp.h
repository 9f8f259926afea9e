// Dense layers with low-precision weight storage (issue 4, `--dtype`):
// - bf16 / f16 weights with fp32 math: a matrix is widened into an fp32 scratch buffer (shared
//   by all layers) right before its GEMM, so the model holds half the bytes and the math is the
//   fp32 reference's; the widening is a vectorized pass over the weights, a few percent of the
//   GEMM's time at batch 32.
// - int8: per-output-channel symmetric weight scales (quantized once at load) and dynamic
//   per-row activation scales (quantized per call), integer GEMM with int32 accumulation
//   (oneDNN's u8s8s32 GEMM), then y = acc · s_row · s_channel + bias. Activations get 8 bits
//   on CPUs with VNNI and 7 bits without (see fc_linear_forward_int8).
#ifndef FC_KERNELS_CPU_LINEAR_LOWP_H
#define FC_KERNELS_CPU_LINEAR_LOWP_H

#include <stddef.h>
#include <stdint.h>

typedef enum fc_half_kind { FC_HALF_BF16, FC_HALF_F16 } fc_half_kind;

// out[T, out_dim] = in · Wᵀ + bias with W [out_dim, in_dim] stored as 16-bit floats.
// panel holds out_dim · in_dim floats (the widened matrix).
void fc_linear_forward_half(float *out, const float *in, const uint16_t *weight, fc_half_kind kind,
                            const float *bias, int T, int in_dim, int out_dim, float *panel);

typedef struct fc_int8_weights {
    int8_t *q;      // [out_dim, in_dim], values in [-127, 127]
    float *scale;   // [out_dim]: W[n, k] ≈ q[n, k] · scale[n]
    int in_dim, out_dim;
} fc_int8_weights;

// Quantizes fp32 W [out_dim, in_dim] per output channel (max |W[n,:]| maps to 127). -1 when
// the memory for the quantized copy is not there (w is then empty).
int fc_int8_weights_quantize(fc_int8_weights *w, const float *weight, int out_dim, int in_dim);
void fc_int8_weights_free(fc_int8_weights *w);

// Scratch of fc_linear_forward_int8 for up to T rows: u8 activations, row scales, int32 sums.
typedef struct fc_int8_scratch {
    uint8_t *activations; // [T, in_dim]
    float *row_scale;     // [T]
    int32_t *acc;         // [T, out_dim]
    size_t activation_capacity, row_capacity, acc_capacity;
} fc_int8_scratch;

void fc_int8_scratch_free(fc_int8_scratch *s);

// out[T, out_dim] = in · Wᵀ + bias with W int8. Activations are quantized symmetrically per
// row, stored as u8 with a zero point: 8 bits ([-127, 127] + 128) where the CPU has VNNI,
// whose u8·s8 dot product accumulates straight into 32 bits; 7 bits ([-63, 63] + 64) on plain
// AVX2, whose u8·s8 multiply-add sums pairs into saturating 16-bit lanes that 127·127·2 <
// 32767 never overflows (perf-notes.md).
void fc_linear_forward_int8(float *out, const float *in, const fc_int8_weights *w,
                            const float *bias, int T, fc_int8_scratch *scratch);

// Bits of the int8 path's activations on this CPU: 8 with VNNI, else 7.
int fc_int8_activation_bits(void);

// A dense layer's weight matrix in one of the low-precision storages, as the model keeps it.
typedef enum fc_lowp_format { FC_LOWP_BF16, FC_LOWP_F16, FC_LOWP_INT8 } fc_lowp_format;

typedef struct fc_lowp_linear {
    fc_lowp_format format;
    int in_dim, out_dim;
    const uint16_t *half;  // BF16/F16 [out_dim, in_dim]: into the checkpoint or half_owned
    uint16_t *half_owned;  // set when the weights were converted at load
    fc_int8_weights int8;  // FC_LOWP_INT8
} fc_lowp_linear;

// Buffers of the low-precision paths, grown on demand and reused across calls.
typedef struct fc_lowp_scratch {
    float *panel;
    size_t panel_bytes;
    fc_int8_scratch int8;
} fc_lowp_scratch;

void fc_lowp_linear_forward(float *out, const float *in, const fc_lowp_linear *w,
                            const float *bias, int T, fc_lowp_scratch *scratch);
// Grows the scratch for a forward of w over T rows ahead of it, so that running out of memory
// is an error the model's forward returns (-1) rather than an exit inside the layer.
int fc_lowp_scratch_reserve(fc_lowp_scratch *s, const fc_lowp_linear *w, int T);
void fc_lowp_linear_free(fc_lowp_linear *w);
void fc_lowp_scratch_free(fc_lowp_scratch *s);

#endif
