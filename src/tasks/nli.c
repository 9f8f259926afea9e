// NLI over text pairs, with the semantics of sentence-transformers CrossEncoder.predict
// (model-reference.md §7): longest_first truncation to min(tokenizer model_max_length,
// max_position_embeddings), batches of 32, raw logits in the model's label order.
#include "tasks/nli.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

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

typedef struct length_index {
    size_t length;
    size_t index;
} length_index;

// Longest first, ties in input order (so the sort is stable although qsort is not). Running
// the longest batch first lets the model's activation buffer reach its final size on the
// first call and be reused after, and shows an out-of-memory at once rather than at the end.
static int by_length_descending(const void *a, const void *b) {
    const length_index *x = a, *y = b;
    if (x->length != y->length) return x->length > y->length ? -1 : 1;
    return x->index < y->index ? -1 : (x->index > y->index);
}

int fc_nli_logits_encoded(fc_model *model, const fc_ids *encoded, size_t n, int batch_size,
                          float *logits, fc_error *err) {
    if (n == 0) return 0;
    if (batch_size <= 0) batch_size = NLI_DEFAULT_BATCH_SIZE;
    size_t num_labels = (size_t)fc_model_num_labels(model);

    // Sorting by length puts pairs of similar length together: packing wastes nothing on
    // padding anyway, but attention cost and the activation buffer follow the longest pair.
    length_index *order = fc_malloc(n * sizeof *order);
    for (size_t i = 0; i < n; i++) order[i] = (length_index){encoded[i].len, i};
    qsort(order, n, sizeof *order, by_length_descending);

    // Buffers for one batch, reused by every batch.
    int32_t *ids = NULL;
    size_t ids_capacity = 0;
    int32_t *offsets = fc_malloc(((size_t)batch_size + 1) * sizeof *offsets);
    float *batch_logits = fc_malloc((size_t)batch_size * num_labels * sizeof *batch_logits);

    int status = 0;
    for (size_t start = 0; start < n; start += (size_t)batch_size) {
        size_t count = n - start < (size_t)batch_size ? n - start : (size_t)batch_size;
        size_t total = 0;
        for (size_t k = 0; k < count; k++) total += order[start + k].length;
        if (total > INT32_MAX) {
            status = fc_fail(err, "pairs %zu..: a batch of %zu tokens exceeds the 2^31 limit of "
                                  "packed offsets; use a smaller batch size",
                             order[start].index, total);
            break;
        }
        if (total > ids_capacity) {
            ids_capacity = total;
            ids = fc_realloc(ids, ids_capacity * sizeof *ids);
        }
        offsets[0] = 0;
        for (size_t k = 0; k < count; k++) {
            const fc_ids *seq = &encoded[order[start + k].index];
            if (seq->len) memcpy(ids + offsets[k], seq->ids, seq->len * sizeof *ids);
            offsets[k + 1] = offsets[k] + (int32_t)seq->len;
        }
        if (fc_model_forward(model, ids, offsets, (int)count, batch_logits, err) != 0) {
            status = -1;
            break;
        }
        for (size_t k = 0; k < count; k++) {
            memcpy(logits + order[start + k].index * num_labels, batch_logits + k * num_labels,
                   num_labels * sizeof *logits);
        }
    }
    free(batch_logits);
    free(offsets);
    free(ids);
    free(order);
    return status;
}

// options may be NULL for the defaults.
int fc_nli_logits(fc_model *model, const fc_pair *pairs, size_t n, const fc_nli_options *options,
                  float *logits, fc_error *err) {
    fc_nli_options defaults = fc_nli_default_options();
    if (!options) options = &defaults;
    if (n == 0) return 0;
    fc_ids *encoded = fc_calloc(n, sizeof *encoded);
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
