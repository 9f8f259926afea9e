// Axis ticks for the SVG plots (training curves, curation histogram, eval confusion matrices):
// "nice" numbers, 1, 2 or 5 times a power of ten, on a range that starts and ends on a tick,
// as plotting libraries draw them (Heckbert, "Nice numbers for graph labels", Graphics Gems,
// 1990), instead of the data's own extremes cut in four (0.494, 0.987, 1.48).
#ifndef FC_UTIL_AXIS_H
#define FC_UTIL_AXIS_H

#include <stddef.h>

typedef struct fc_axis {
    double lo, hi; // the axis range: multiples of step that enclose the data
    double step;   // 1, 2 or 5 times a power of ten
    int n_ticks;   // lo, lo + step, ..., hi
    int decimals;  // digits after the point that show every tick exactly
} fc_axis;

// Ticks covering [min, max] with about `target` intervals (at least 1). min_step > 0 keeps the
// step at or above it (1 for counts: no fractional ticks). An empty range (min == max) gets a
// range of one step around it.
fc_axis fc_axis_nice(double min, double max, int target, double min_step);

// Tick i (0 .. n_ticks - 1), computed as lo + i * step and rounded to the axis's decimals so
// that 0.1 * 3 prints as 0.3.
double fc_axis_tick(const fc_axis *axis, int i);

// The tick's label with the axis's decimals: "0.2", "1500", "0.05".
void fc_axis_format(const fc_axis *axis, double value, char *text, size_t size);

#endif
