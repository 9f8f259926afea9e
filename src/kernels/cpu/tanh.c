// tanh, the activation of BERT's pooler and RoBERTa's classification head, and its backward.
#include <math.h>

#include "kernels/cpu/backward.h"
#include "kernels/cpu/kernels.h"

void fc_tanh_forward(float *x, int n) {
    for (int i = 0; i < n; i++) x[i] = tanhf(x[i]);
}

void fc_tanh_backward(float *din, const float *dout, const float *y, int n) {
    for (int i = 0; i < n; i++) din[i] = dout[i] * (1.0f - y[i] * y[i]);
}
