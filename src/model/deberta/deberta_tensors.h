// The list of DebertaV2ForSequenceClassification tensors for a config (model-reference.md
// §4.2-4.3): names, shapes and roles, as transformers saves them and deberta_weights.c binds
// them. Used to write random-weight checkpoints for benchmarks.
#ifndef FC_MODEL_DEBERTA_TENSORS_H
#define FC_MODEL_DEBERTA_TENSORS_H

#include "model/deberta/deberta_config.h"
#include "model/param_tensor.h"

// Fills specs (allocated, *count entries) for the config and label count.
void fc_deberta_tensor_specs(const fc_deberta_config *c, int num_labels, fc_tensor_spec **specs,
                             int *count);

#endif
