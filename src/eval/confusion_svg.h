// Confusion matrices as SVG pictures, one per model and data set, written next to eval's
// CSV/JSON report: gold labels down, predictions across, each cell with its count and its
// share of the gold row, shaded by count, with a count scale on nice ticks (util/axis.h).
#ifndef FC_EVAL_CONFUSION_SVG_H
#define FC_EVAL_CONFUSION_SVG_H

#include "eval/metrics.h"
#include "eval/report.h"
#include "finecat.h"

// Writes one matrix to path (through path.part, renamed when complete).
int fc_confusion_write_svg(const char *path, const char *title, const fc_metrics *metrics,
                           fc_error *err);

// The picture's path for a model (0-based index of n_models) and a data set, next to the
// report whose path is report_path: REPORT_STEM.confusion.DATASET.svg, with the model's number
// before DATASET when there are several (REPORT_STEM.confusion.2.DATASET.svg). Characters other
// than letters, digits, '_', '-' and '.' in DATASET become '_'. Newly allocated.
char *fc_confusion_svg_path(const char *report_path, size_t model, size_t n_models,
                            const char *dataset);

// Writes the matrix of every model and present data set of the report next to report_path.
// Prints nothing; returns -1 at the first failure.
int fc_eval_report_write_confusion_svgs(const char *report_path, const fc_eval_report *report,
                                        fc_error *err);

#endif
