#include "kernels/cpu/gemm.h"

#include <dnnl.h>
#include <omp.h>

void fc_sgemm(int trans_a, int trans_b, int M, int N, int K, float alpha, const float *A,
              int lda, const float *B, int ldb, float beta, float *C, int ldc) {
    if (M <= 0 || N <= 0) return;
    dnnl_sgemm(trans_a ? 'T' : 'N', trans_b ? 'T' : 'N', M, N, K, alpha, A, lda, B, ldb, beta, C,
               ldc);
}

void fc_set_threads(int n) {
    if (n >= 1) omp_set_num_threads(n);
}

int fc_get_threads(void) {
    return omp_get_max_threads();
}
