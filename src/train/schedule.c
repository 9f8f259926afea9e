#include "train/schedule.h"

#include <math.h>

double fc_schedule_factor(fc_schedule kind, long step, long warmup, long total) {
    if (step < warmup) return (double)step / (double)(warmup > 1 ? warmup : 1);
    double span = (double)(total - warmup > 1 ? total - warmup : 1);
    if (kind == FC_SCHEDULE_LINEAR) {
        double f = (double)(total - step) / span;
        return f > 0.0 ? f : 0.0;
    }
    // num_cycles = 0.5: half a cosine from 1 down to 0 over the steps after warmup.
    double progress = (double)(step - warmup) / span;
    double f = 0.5 * (1.0 + cos(M_PI * 0.5 * 2.0 * progress));
    return f > 0.0 ? f : 0.0;
}
