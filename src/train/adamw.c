// torch.optim.adamw → adam._single_tensor_adam (torch 2.x), for one parameter p with gradient
// g at step t, all tensors float32 and Python scalars double:
//   p   ← p · (1 − lr·wd)                      (decoupled decay; skipped when wd = 0)
//   m   ← m.lerp(g, 1 − β1)
//   v   ← v · β2 + (1 − β2) · g · g
//   bc1 = 1 − β1^t, bc2 = 1 − β2^t             (double)
//   p   ← p + (−lr / bc1) · m / (√v / √bc2 + ε)
// Scalars enter the float32 kernels as float, in the order of operations written there.
#include "train/adamw.h"

#include <math.h>
#include <stdlib.h>

#include "util/alloc.h"

void fc_adamw_init(fc_adamw *opt, size_t count, double beta1, double beta2, double eps) {
    opt->beta1 = beta1;
    opt->beta2 = beta2;
    opt->eps = eps;
    opt->step = 0;
    opt->count = count;
    opt->m = fc_calloc(count, sizeof *opt->m);
    opt->v = fc_calloc(count, sizeof *opt->v);
}

void fc_adamw_free(fc_adamw *opt) {
    free(opt->m);
    free(opt->v);
    opt->m = opt->v = NULL;
    opt->count = 0;
}

void fc_adamw_begin_step(fc_adamw *opt) {
    opt->step++;
}

// torch.lerp with a scalar weight: start + w·(end − start) for |w| < 0.5, else
// end − (end − start)·(1 − w) (aten/src/ATen/native/Lerp.h).
static float lerp(float start, float end, float weight) {
    return fabsf(weight) < 0.5f ? start + weight * (end - start)
                                : end - (end - start) * (1.0f - weight);
}

void fc_adamw_update(fc_adamw *opt, float *params, const float *grads, size_t offset,
                     size_t count, double lr, double weight_decay) {
    double bc1 = 1.0 - pow(opt->beta1, (double)opt->step);
    double bc2 = 1.0 - pow(opt->beta2, (double)opt->step);
    float decay = (float)(1.0 - lr * weight_decay);
    float lerp_weight = (float)(1.0 - opt->beta1);
    float beta2 = (float)opt->beta2, one_minus_beta2 = (float)(1.0 - opt->beta2);
    float bc2_sqrt = (float)sqrt(bc2);
    float eps = (float)opt->eps;
    float neg_step_size = (float)(-(lr / bc1));
    float *p = params + offset, *m = opt->m + offset, *v = opt->v + offset;
    const float *g = grads + offset;
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < count; i++) {
        if (weight_decay != 0.0) p[i] *= decay;
        m[i] = lerp(m[i], g[i], lerp_weight);
        v[i] = v[i] * beta2 + one_minus_beta2 * g[i] * g[i];
        float denom = sqrtf(v[i]) / bc2_sqrt + eps;
        p[i] = p[i] + neg_step_size * m[i] / denom;
    }
}

double fc_clip_grad_norm(float *grads, size_t count, double max_norm) {
    double sum = 0.0;
    for (size_t i = 0; i < count; i++) sum += (double)grads[i] * grads[i];
    double norm = sqrt(sum);
    if (max_norm > 0.0) {
        // clip_grad_norm_ always multiplies by the clamped coefficient (1.0 leaves grads as is).
        double coef = max_norm / (norm + 1e-6);
        if (coef < 1.0) {
            float c = (float)coef;
            for (size_t i = 0; i < count; i++) grads[i] *= c;
        }
    }
    return norm;
}
