#include "util/axis.h"

#include <math.h>
#include <stdio.h>

// The nice number at or above x: 1, 2, 5 or 10 times a power of ten.
static double nice_at_least(double x) {
    double power = pow(10.0, floor(log10(x)));
    double f = x / power;
    // A hair of tolerance, so that 0.2 (stored as 0.2000000000000000111) is not rounded to 0.5.
    double nice = f <= 1.0 + 1e-9 ? 1 : f <= 2.0 + 1e-9 ? 2 : f <= 5.0 + 1e-9 ? 5 : 10;
    return nice * power;
}

fc_axis fc_axis_nice(double min, double max, int target, double min_step) {
    fc_axis axis;
    if (target < 1) target = 1;
    if (!isfinite(min) || !isfinite(max)) min = 0, max = 1;
    if (min > max) {
        double t = min;
        min = max;
        max = t;
    }
    double span = max - min;
    if (span <= 0) span = fabs(max) > 0 ? fabs(max) : 1.0;
    double step = nice_at_least(span / target);
    if (min_step > 0 && step < min_step) step = min_step;
    axis.step = step;
    // 1e-9 steps of slack: data at 1.0000000001 does not need a whole extra tick.
    axis.lo = floor(min / step + 1e-9) * step;
    axis.hi = ceil(max / step - 1e-9) * step;
    if (axis.hi <= axis.lo) axis.hi = axis.lo + step;
    axis.n_ticks = (int)floor((axis.hi - axis.lo) / step + 0.5) + 1;
    int decimals = (int)ceil(-log10(step) - 1e-9);
    axis.decimals = decimals > 0 ? decimals : 0;
    return axis;
}

double fc_axis_tick(const fc_axis *axis, int i) {
    double v = axis->lo + i * axis->step;
    double scale = pow(10.0, axis->decimals);
    v = round(v * scale) / scale;
    return v == 0 ? 0.0 : v; // no "-0"
}

void fc_axis_format(const fc_axis *axis, double value, char *text, size_t size) {
    snprintf(text, size, "%.*f", axis->decimals, value == 0 ? 0.0 : value);
}
