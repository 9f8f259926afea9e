// Dense layer backward through BLAS: both products are GEMMs of the forward's size.
#include <string.h>

#include "kernels/cpu/backward.h"
#include "kernels/cpu/gemm.h"

void fc_linear_backward(float *din, float *dweight, float *dbias, const float *dout,
                        const float *in, const float *weight, int T, int in_dim, int out_dim) {
    if (T <= 0) return;
    // din[T, in] = dout[T, out] · weight[out, in]
    if (din)
        fc_sgemm(0, 0, T, in_dim, out_dim, 1.0f, dout, out_dim, weight, in_dim, 0.0f, din, in_dim);
    // dweight[out, in] += dout[T, out]ᵀ · in[T, in]
    fc_sgemm(1, 0, out_dim, in_dim, T, 1.0f, dout, out_dim, in, in_dim, 1.0f, dweight, in_dim);
    if (!dbias) return;
    // Token order, one output column after another: the same sum on every run.
    for (int t = 0; t < T; t++) {
        const float *row = dout + (size_t)t * out_dim;
        for (int o = 0; o < out_dim; o++) dbias[o] += row[o];
    }
}
