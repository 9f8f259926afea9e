#include <math.h>

#include "kernels/cpu/kernels.h"

float fc_gelu(float x) {
    return 0.5f * x * (1.0f + erff(x * 0.70710678118654752440f));
}

void fc_gelu_forward(float *x, int n) {
    for (int i = 0; i < n; i++) x[i] = fc_gelu(x[i]);
}

void fc_geglu_forward(float *out, const float *in, int T, int I) {
#pragma omp parallel for schedule(static)
    for (int t = 0; t < T; t++) {
        const float *input = in + (size_t)t * 2 * I;
        const float *gate = input + I;
        float *y = out + (size_t)t * I;
        for (int i = 0; i < I; i++) y[i] = fc_gelu(input[i]) * gate[i];
    }
}
