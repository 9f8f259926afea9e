// Exact GELU and GeGLU backward. PyTorch's GeluBackward (approximate='none'):
// dx = dy · (Φ(x) + x·φ(x)), Φ(x) = ½(1 + erf(x/√2)), φ(x) = exp(−x²/2)/√(2π).
#include <math.h>

#include "kernels/cpu/backward.h"
#include "kernels/cpu/kernels.h"

float fc_gelu_derivative(float x) {
    const float inv_sqrt2 = 0.70710678118654752440f;
    const float inv_sqrt_2pi = 0.39894228040143267794f;
    float cdf = 0.5f * (1.0f + erff(x * inv_sqrt2));
    float pdf = inv_sqrt_2pi * expf(-0.5f * x * x);
    return cdf + x * pdf;
}

// fc_gelu_backward, the vectorized path of the same formula, lives in gelu.c beside the AVX2
// erf it shares with the forward.

void fc_geglu_backward(float *din, const float *dout, const float *in, int T, int I) {
#pragma omp parallel for schedule(static)
    for (int t = 0; t < T; t++) {
        const float *input = in + (size_t)t * 2 * I;
        const float *gate = input + I;
        const float *dy = dout + (size_t)t * I;
        float *dinput = din + (size_t)t * 2 * I;
        float *dgate = dinput + I;
        for (int i = 0; i < I; i++) {
            dinput[i] = dy[i] * gate[i] * fc_gelu_derivative(input[i]);
            dgate[i] = dy[i] * fc_gelu(input[i]);
        }
    }
}
