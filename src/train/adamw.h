// AdamW with decoupled weight decay (Loshchilov & Hutter), step for step as
// torch.optim.AdamW's single-tensor path computes it, and gradient clipping as
// torch.nn.utils.clip_grad_norm_. The moments live in flat buffers of the parameters' layout.
#ifndef FC_TRAIN_ADAMW_H
#define FC_TRAIN_ADAMW_H

#include <stddef.h>

typedef struct fc_adamw {
    double beta1, beta2, eps; // torch defaults 0.9, 0.999, 1e-8
    long step;                // optimizer steps taken (torch's state["step"])
    size_t count;
    float *m; // exp_avg    [count]
    float *v; // exp_avg_sq [count]
} fc_adamw;

void fc_adamw_init(fc_adamw *opt, size_t count, double beta1, double beta2, double eps);
void fc_adamw_free(fc_adamw *opt);

// Starts an optimizer step: increments opt->step (bias corrections use the new value).
void fc_adamw_begin_step(fc_adamw *opt);
// Updates params[offset .. offset+count) from grads of the same range with learning rate lr
// and decoupled weight decay (0 for norms and biases: one call per tensor or group).
void fc_adamw_update(fc_adamw *opt, float *params, const float *grads, size_t offset,
                     size_t count, double lr, double weight_decay);

// The global L2 norm of grads[0 .. count) (the norm of the per-tensor norms, which is the same
// number), and, when max_norm > 0, grads scaled by min(1, max_norm / (norm + 1e-6)) as
// clip_grad_norm_ does. Returns the norm before clipping.
double fc_clip_grad_norm(float *grads, size_t count, double max_norm);

#endif
