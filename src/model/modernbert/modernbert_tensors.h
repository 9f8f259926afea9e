// The list of ModernBertForSequenceClassification tensors (model-reference.md §3.2) for a
// config: names, shapes and roles, in checkpoint order. One list shared by everything that
// writes checkpoints (random weights for benchmarks, training checkpoints).
#ifndef FC_MODEL_MODERNBERT_TENSORS_H
#define FC_MODEL_MODERNBERT_TENSORS_H

#include <stdint.h>

#include "model/modernbert/modernbert_config.h"
#include "model/param_tensor.h"

// Fills specs (allocated, *count entries) for the config and label count.
void fc_modernbert_tensor_specs(const fc_modernbert_config *c, int num_labels,
                                fc_tensor_spec **specs, int *count);

#endif
