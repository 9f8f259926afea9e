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

// The refusal, checked before any work: -1 when o->out holds a run and neither resume nor
// overwrite is set.
int fc_run_folder_check(const fc_train_options *o, fc_error *err);
// With overwrite, deletes the earlier run's entries of o->out (and nothing else). Called once
// the new run has loaded its model and data, so a run that cannot start deletes nothing.
int fc_run_folder_clear(const fc_train_options *o, fc_error *err);

#endif
