// NLI over text pairs, with the semantics of sentence-transformers CrossEncoder.predict
// (model-reference.md §7): longest_first truncation to min(tokenizer model_max_length,
// max_position_embeddings), batches of 32, raw logits in the model's label order.
#include "tasks/nli.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tasks/token_batches.h"
#include "util/alloc.h"
#include "util/error.h"

enum { NLI_DEFAULT_BATCH_SIZE = 32 }; // CrossEncoder.predict's default batch_size

fc_nli_options fc_nli_default_options(void) {
    fc_nli_options options = {
        .max_length = 0,
        .batch_size = NLI_DEFAULT_BATCH_SIZE,
        .truncation = FC_TRUNCATE_LONGEST_FIRST,
    };
    return options;
}

int fc_nli_max_length(const fc_model *model, const fc_nli_options *options) {
    if (options->max_length > 0) return options->max_length;
    int model_max = fc_model_max_length(model);
    return model_max > 0 ? model_max : 0;
}

int fc_nli_encode_pair(const fc_model *model, const fc_pair *pair, const fc_nli_options *options,
                       fc_ids *out, fc_error *err) {
    if (!pair->premise) return fc_fail(err, "premise: missing (NULL)");
    if (!pair->hypothesis) return fc_fail(err, "hypothesis: missing (NULL)");
    const fc_tokenizer *tok = fc_model_tokenizer(model);
    int max_length = fc_nli_max_length(model, options);
    if (fc_tokenizer_encode_pair(tok, pair->premise, pair->hypothesis, max_length,
                                 options->truncation, out, err) == 0)
        return 0;
    // Out of memory is no fault of either text, and probing would only ask for more.
    if (fc_error_is_out_of_memory(err)) return -1;
    // The pair encoder does not say which text it choked on; encoding each text alone finds
    // the one at fault (invalid UTF-8, say). A failure of neither text (truncation that
    // cannot fit) concerns the pair as a whole and keeps its message as is. Error path only.
    fc_ids probe = {0};
    fc_error probe_err;
    const char *field = NULL;
    if (fc_tokenizer_encode(tok, pair->premise, strlen(pair->premise), &probe, &probe_err) != 0) {
        field = "premise";
    } else {
        fc_ids_clear(&probe);
        if (fc_tokenizer_encode(tok, pair->hypothesis, strlen(pair->hypothesis), &probe,
                                &probe_err) != 0)
            field = "hypothesis";
    }
    fc_ids_free(&probe);
    // The text's own message, which knows nothing of pairs ("invalid UTF-8 at byte 3").
    if (field) return fc_fail(err, "%s: %s", field, probe_err.message);
    return -1;
}

int fc_nli_logits_encoded(fc_model *model, const fc_ids *encoded, size_t n, int batch_size,
                          float *logits, fc_error *err) {
    // Sorted by length, longest first, batch_size pairs packed per forward (token_batches.c).
    return fc_run_batches(model, encoded, n, batch_size > 0 ? batch_size : NLI_DEFAULT_BATCH_SIZE,
                          0, logits, err);
}

int fc_nli_logits_encoded_progress(fc_model *model, const fc_ids *encoded, size_t n,
                                   int batch_size, float *logits, fc_batch_progress_fn on_batch,
                                   void *context, fc_error *err) {
    return fc_run_batches_progress(model, encoded, n,
                                   batch_size > 0 ? batch_size : NLI_DEFAULT_BATCH_SIZE, 0, logits,
                                   on_batch, context, err);
}

// options may be NULL for the defaults.
int fc_nli_logits(fc_model *model, const fc_pair *pairs, size_t n, const fc_nli_options *options,
                  float *logits, fc_error *err) {
    fc_nli_options defaults = fc_nli_default_options();
    if (!options) options = &defaults;
    if (n == 0) return 0;
    fc_ids *encoded = fc_try_calloc(n, sizeof *encoded);
    if (!encoded) return fc_fail_out_of_memory(err, "the encoded pairs", n * sizeof *encoded);
    int status = 0;
    for (size_t i = 0; i < n; i++) {
        if (fc_nli_encode_pair(model, &pairs[i], options, &encoded[i], err) != 0) {
            status = fc_fail_prefix(err, "pair %zu", i);
            break;
        }
    }
    if (status == 0)
        status = fc_nli_logits_encoded(model, encoded, n, options->batch_size, logits, err);
    for (size_t i = 0; i < n; i++) fc_ids_free(&encoded[i]);
    free(encoded);
    return status;
}
