#include "eval/metrics.h"

#include <string.h>

#include "util/error.h"

void fc_metrics_init(fc_metrics *metrics) {
    memset(metrics, 0, sizeof *metrics);
}

void fc_metrics_add(fc_metrics *metrics, int gold, int predicted) {
    metrics->confusion[gold][predicted]++;
}

// sklearn's _prf_divide with zero_division=0: a ratio whose denominator is 0 is 0.
static double ratio(double numerator, double denominator) {
    return denominator > 0 ? numerator / denominator : 0.0;
}

void fc_metrics_finish(fc_metrics *metrics) {
    size_t predicted_total[FC_LABEL_COUNT] = {0};
    size_t correct = 0, total = 0;
    for (int g = 0; g < FC_LABEL_COUNT; g++) {
        for (int p = 0; p < FC_LABEL_COUNT; p++) {
            predicted_total[p] += metrics->confusion[g][p];
            total += metrics->confusion[g][p];
        }
        correct += metrics->confusion[g][g];
    }
    metrics->total = total;
    metrics->accuracy = ratio((double)correct, (double)total);
    double f1_sum = 0.0;
    int present = 0;
    for (int c = 0; c < FC_LABEL_COUNT; c++) {
        size_t tp = metrics->confusion[c][c];
        size_t support = 0;
        for (int p = 0; p < FC_LABEL_COUNT; p++) support += metrics->confusion[c][p];
        size_t fp = predicted_total[c] - tp, fn = support - tp;
        fc_class_metrics *m = &metrics->per_class[c];
        m->support = support;
        m->precision = ratio((double)tp, (double)(tp + fp));
        m->recall = ratio((double)tp, (double)(tp + fn));
        // sklearn computes F1 as 2tp / (2tp + fp + fn), which equals 2PR / (P + R) where both
        // are defined and is 0 (zero_division) where the denominator is.
        m->f1 = ratio(2.0 * (double)tp, (double)(2 * tp + fp + fn));
        if (support > 0 || predicted_total[c] > 0) {
            f1_sum += m->f1;
            present++;
        }
    }
    metrics->macro_f1 = ratio(f1_sum, (double)present);
}

int fc_metrics_from_labels(const int *gold, const int *predicted, size_t n, fc_metrics *out,
                           fc_error *err) {
    fc_metrics_init(out);
    for (size_t i = 0; i < n; i++) {
        if (gold[i] < 0 || gold[i] >= FC_LABEL_COUNT)
            return fc_fail(err, "gold label %d at %zu is no canonical label (0..2)", gold[i], i);
        if (predicted[i] < 0 || predicted[i] >= FC_LABEL_COUNT)
            return fc_fail(err, "predicted label %d at %zu is no canonical label (0..2)",
                           predicted[i], i);
        fc_metrics_add(out, gold[i], predicted[i]);
    }
    fc_metrics_finish(out);
    return 0;
}
