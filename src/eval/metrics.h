// Classification metrics over the canonical NLI labels, with scikit-learn's conventions, so
// numbers match what sklearn.metrics (and sentence-transformers' evaluators, which call it)
// report for the same predictions (tests/fixtures/metrics, written by tools/fixtures/metrics.py):
// - confusion[gold][predicted] in canonical order (entailment, neutral, contradiction), as
//   confusion_matrix(y_true, y_pred, labels=[0, 1, 2]);
// - precision, recall and F1 of a class with a zero denominator are 0 (zero_division=0, which
//   is also what the default "warn" returns);
// - accuracy is micro-F1 (every prediction is one label);
// - macro-F1 is f1_score(average="macro") without `labels`: the mean over the labels present in
//   gold or predictions. With all three present, as in every NLI data set, that is all three.
#ifndef FC_EVAL_METRICS_H
#define FC_EVAL_METRICS_H

#include <stddef.h>

#include "finecat.h"

typedef struct fc_class_metrics {
    double precision;
    double recall;
    double f1;
    size_t support; // gold records of the class
} fc_class_metrics;

typedef struct fc_metrics {
    size_t confusion[FC_LABEL_COUNT][FC_LABEL_COUNT]; // [gold][predicted]
    size_t total;
    double accuracy;
    double macro_f1;
    fc_class_metrics per_class[FC_LABEL_COUNT];
} fc_metrics;

// Empties the confusion matrix and the metrics.
void fc_metrics_init(fc_metrics *metrics);
// Counts one prediction; gold and predicted are canonical labels (0..2).
void fc_metrics_add(fc_metrics *metrics, int gold, int predicted);
// Computes the metrics from the confusion matrix (all zero when it is empty).
void fc_metrics_finish(fc_metrics *metrics);

// All of the above over two label sequences; an entry outside 0..2 is an error naming it.
int fc_metrics_from_labels(const int *gold, const int *predicted, size_t n, fc_metrics *out,
                           fc_error *err);

#endif
