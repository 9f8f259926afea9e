// Learning-rate schedules with linear warmup, as transformers' get_linear_schedule_with_warmup
// and get_cosine_schedule_with_warmup (optimization.py) define their LambdaLR factors.
#ifndef FC_TRAIN_SCHEDULE_H
#define FC_TRAIN_SCHEDULE_H

typedef enum fc_schedule { FC_SCHEDULE_LINEAR = 0, FC_SCHEDULE_COSINE = 1 } fc_schedule;

// The factor multiplying the peak learning rate at optimizer step `step` (0-based: the first
// update uses step 0, which is 0 when warmup > 0, as in the Hugging Face Trainer).
//   warmup:  step / max(1, warmup)                                   for step < warmup
//   linear:  max(0, (total − step) / max(1, total − warmup))
//   cosine:  max(0, ½ (1 + cos(π · progress))),  progress = (step − warmup) / max(1, total − warmup)
double fc_schedule_factor(fc_schedule kind, long step, long warmup, long total);

#endif
