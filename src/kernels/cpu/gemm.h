// The one GEMM every dense layer goes through, and the thread count of all CPU kernels.
//
// Why oneDNN's sgemm and not OpenBLAS: the Debian OpenBLAS is built on its own pthread pool,
// which spin-waits between calls and fought our OpenMP loops for the two cores (a small model
// ran 3-14x slower on 2 threads than on 1). oneDNN threads with OpenMP, the same pool as
// every other kernel, and measured faster at the ModernBERT layer shapes (README,
// "Performance").
#ifndef FC_KERNELS_CPU_GEMM_H
#define FC_KERNELS_CPU_GEMM_H

// Row-major C[M, N] = alpha · op(A) · op(B) + beta · C, op(X) = Xᵀ when trans_x is nonzero;
// lda, ldb, ldc are the row strides of A, B and C as stored.
void fc_sgemm(int trans_a, int trans_b, int M, int N, int K, float alpha, const float *A,
              int lda, const float *B, int ldb, float beta, float *C, int ldc);

// Threads of the kernels and GEMMs (n >= 1), and the current count.
void fc_set_threads(int n);
int fc_get_threads(void);

#endif
