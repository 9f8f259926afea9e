// How the CLI writes the NLI result of one pair: probabilities by label name, raw logits and
// the predicted label, all in the model's own label order (id2label).
#ifndef FC_CLI_NLI_RESULT_H
#define FC_CLI_NLI_RESULT_H

#include <stddef.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "finecat.h"

// Index of the largest logit (the first on ties; NaN never wins).
int fc_result_predicted(const float *logits, int num_labels);

// Writes the members `"probabilities":{NAME:P,...},"logits":[...],"label":NAME`, without braces.
void fc_result_write_members(FILE *out, const fc_model *model, const float *logits);

// 1 if an input member of this name would be overwritten by a result member.
int fc_result_is_member_name(const char *name);

// Writes one JSONL record with the result members added at its end, and a newline. The
// record's own members are copied byte for byte from line (so numbers such as 64-bit ids keep
// every digit), in order, except those named like a result member, which the result replaces.
// parsed is cJSON's parse of the same line, which must be an object.
void fc_result_write_record(FILE *out, const char *line, size_t length, const cJSON *parsed,
                            const fc_model *model, const float *logits);

#endif
