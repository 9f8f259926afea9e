// Dense layers through the GEMM of gemm.h: linear layers are 98-99% of an encoder's FLOPs (perf-notes.md).
#include <string.h>

#include "kernels/cpu/gemm.h"
#include "kernels/cpu/kernels.h"

void fc_linear_forward(float *out, const float *in, const float *weight, const float *bias,
                       int T, int in_dim, int out_dim) {
    if (T <= 0) return;
    float beta = 0.0f;
    if (bias) {
        for (int t = 0; t < T; t++) memcpy(out + (size_t)t * out_dim, bias, sizeof(float) * out_dim);
        beta = 1.0f;
    }
    fc_sgemm(0, 1, T, out_dim, in_dim, 1.0f, in, in_dim, weight, in_dim, beta, out, out_dim);
}
