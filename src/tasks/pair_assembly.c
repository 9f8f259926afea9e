#include "tasks/pair_assembly.h"

#include <string.h>

#include "tokenizer/tokenizer_internal.h"
#include "tokenizer/truncation.h"

int fc_pair_special_count(const fc_tokenizer *tok) {
    return fc_post_processor_added_count(&tok->post_processor, 1);
}

int fc_pair_assemble(const fc_tokenizer *tok, const fc_ids *premise, const fc_ids *hypothesis,
                     int max_length, fc_truncation truncation, fc_ids *out, fc_error *err) {
    size_t keep_premise = 0, keep_hypothesis = 0;
    if (fc_truncation_lengths(truncation, max_length, fc_pair_special_count(tok), premise->len,
                              hypothesis->len, 1, &keep_premise, &keep_hypothesis, err) != 0)
        return -1;
    return fc_post_processor_apply(&tok->post_processor, premise->ids, keep_premise, hypothesis->ids,
                                   keep_hypothesis, 1, out, NULL, err);
}

int fc_pair_assemble_only_first_or_none(const fc_tokenizer *tok, const fc_ids *premise,
                                        const fc_ids *hypothesis, int max_length, fc_ids *out,
                                        fc_error *err) {
    fc_error truncation_err;
    if (fc_pair_assemble(tok, premise, hypothesis, max_length, FC_TRUNCATE_ONLY_FIRST, out,
                         &truncation_err) == 0)
        return 0;
    // The pipeline catches any tokenizer error whose text says "too short" and encodes again
    // without truncation; anything else is a real error.
    if (!strstr(truncation_err.message, "too short")) {
        if (err) *err = truncation_err;
        return -1;
    }
    return fc_pair_assemble(tok, premise, hypothesis, 0, FC_TRUNCATE_NONE, out, err);
}
