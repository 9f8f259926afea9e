// Checkpoints in the Hugging Face layout (transformers loads them back): config.json with
// architectures, model_type, id2label and label2id; model.safetensors (F32, __metadata__
// format pt); the tokenizer files. A training checkpoint also holds the optimizer moments
// (optimizer.safetensors), the loop's state (trainer_state.json: step, data-order generator,
// options) and the run's log so far (train_log.csv). Every folder is written under a
// temporary name and renamed into place when complete, so a killed run never leaves a partial
// checkpoint.
#ifndef FC_TRAIN_CHECKPOINT_H
#define FC_TRAIN_CHECKPOINT_H

#include <cjson/cJSON.h>

#include "finecat.h"
#include "train/adamw.h"
#include "train/init.h"

// The training side of a checkpoint; NULL for a model-only folder.
typedef struct fc_checkpoint_extras {
    const fc_adamw *optimizer;
    const cJSON *state;  // trainer_state.json
    const char *log_csv; // train_log.csv contents
} fc_checkpoint_extras;

// Writes dir (replacing an existing folder of that name as one rename). tokenizer_dir's
// tokenizer.json, tokenizer_config.json and special_tokens_map.json are copied when present.
int fc_checkpoint_save(const char *dir, const fc_train_model *m, const char *tokenizer_dir,
                       const fc_checkpoint_extras *extras, fc_error *err);

// The config.json a checkpoint of m gets: the init config with the classifier's architecture,
// model type, labels and float32 dtype. Caller frees with cJSON_Delete.
cJSON *fc_checkpoint_config(const fc_train_model *m);

// Reads a training checkpoint's moments into opt (which must have the model's size) and its
// trainer_state.json and train_log.csv (*log_csv may be NULL when the file is absent).
int fc_checkpoint_load_training(const char *dir, fc_adamw *opt, cJSON **state, char **log_csv,
                                fc_error *err);

#endif
