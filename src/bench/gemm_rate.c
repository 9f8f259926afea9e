#include "bench/gemm_rate.h"

#include <stdlib.h>
#include <time.h>

#include "kernels/cpu/kernels.h"
#include "util/alloc.h"

static double seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

double fc_measure_gemm_gflops(const fc_modernbert_config *c, int tokens, int repeats) {
    int H = c->hidden_size, I = c->intermediate_size;
    int shapes[4][2] = {{H, 3 * H}, {H, H}, {H, 2 * I}, {I, H}}; // {in, out}
    size_t widest = (size_t)(2 * I > 3 * H ? 2 * I : 3 * H);
    float *in = fc_malloc((size_t)tokens * widest * sizeof(float));
    float *out = fc_malloc((size_t)tokens * widest * sizeof(float));
    float *weight = fc_malloc(widest * widest * sizeof(float));
    for (size_t i = 0; i < (size_t)tokens * widest; i++) in[i] = (float)(i % 17) * 0.01f;
    for (size_t i = 0; i < widest * widest; i++) weight[i] = (float)(i % 13) * 0.01f;
    double flops = 0.0, time = 0.0;
    for (int s = 0; s < 4; s++) {
        int k = shapes[s][0], n = shapes[s][1];
        fc_linear_forward(out, in, weight, NULL, tokens, k, n); // warm-up
        double best = 1e30;
        for (int r = 0; r < repeats; r++) {
            double t0 = seconds();
            fc_linear_forward(out, in, weight, NULL, tokens, k, n);
            double t = seconds() - t0;
            if (t < best) best = t;
        }
        flops += 2.0 * tokens * k * n;
        time += best;
    }
    free(in);
    free(out);
    free(weight);
    return flops / time / 1e9;
}
