// Softmax cross-entropy and MSE on logits, with their gradients.
//   CE  = −(1/B) Σ_b log softmax(z_b)[y_b]          ∂CE/∂z_b  = (softmax(z_b) − onehot(y_b)) / B
//   MSE = (1/(n·L)) Σ_{b has teacher} Σ_j (z_bj − t_bj)²   ∂MSE/∂z_bj = 2 (z_bj − t_bj) / (n·L)
#include "train/loss.h"

#include <math.h>
#include <string.h>

void fc_distill_loss(const float *logits, const int *labels, const float *teacher,
                     const unsigned char *has_teacher, int B, int L, double alpha, double beta,
                     double scale, float *dlogits, fc_loss_parts *parts) {
    int n_teacher = 0;
    for (int b = 0; b < B; b++) n_teacher += has_teacher && has_teacher[b];
    fc_distill_loss_share(logits, labels, teacher, has_teacher, B, L, alpha, beta, scale, B,
                          n_teacher, dlogits, parts);
}

void fc_distill_loss_share(const float *logits, const int *labels, const float *teacher,
                           const unsigned char *has_teacher, int B, int L, double alpha,
                           double beta, double scale, int total_rows, int total_teacher_rows,
                           float *dlogits, fc_loss_parts *parts) {
    memset(parts, 0, sizeof *parts);
    parts->rows = B;
    for (int b = 0; b < B; b++) parts->teacher_rows += has_teacher && has_teacher[b];
    int n_teacher = total_teacher_rows;
    double ce_sum = 0.0, se_sum = 0.0;
    for (int b = 0; b < B; b++) {
        const float *z = logits + (size_t)b * L;
        float *dz = dlogits + (size_t)b * L;
        // log-sum-exp with the max subtracted.
        double max = z[0];
        for (int j = 1; j < L; j++)
            if (z[j] > max) max = z[j];
        double sum = 0.0;
        for (int j = 0; j < L; j++) sum += exp(z[j] - max);
        double log_sum = max + log(sum);
        ce_sum += log_sum - z[labels[b]];
        int with_teacher = has_teacher && has_teacher[b];
        const float *t = with_teacher ? teacher + (size_t)b * L : NULL;
        for (int j = 0; j < L; j++) {
            double p = exp(z[j] - log_sum);
            double d = alpha * (p - (j == labels[b])) / total_rows;
            if (with_teacher) {
                double diff = (double)z[j] - t[j];
                se_sum += diff * diff;
                d += beta * 2.0 * diff / ((double)n_teacher * L);
            }
            dz[j] = (float)(scale * d);
        }
    }
    parts->ce = ce_sum / total_rows;
    parts->mse = n_teacher ? se_sum / ((double)n_teacher * L) : 0.0;
    parts->loss = alpha * parts->ce + beta * parts->mse;
}
