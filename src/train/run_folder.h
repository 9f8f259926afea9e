// The output folder of `finecat train` before a run starts: a folder that already holds a run
// (train_log.csv, train_plot.svg, checkpoint-N/, model/) is continued with resume, emptied of
// those with overwrite, and otherwise refused, so that a second run never mixes its
// checkpoints and log with the first one's.
#ifndef FC_TRAIN_RUN_FOLDER_H
#define FC_TRAIN_RUN_FOLDER_H

#include "finecat.h"
#include "train/train.h"

// 1 when dir holds any of a run's files or folders.
int fc_run_folder_holds_run(const char *dir);

// Applies the rule above to o->out. Returns 0 when the run may start.
int fc_run_folder_prepare(const fc_train_options *o, fc_error *err);

#endif
