#include "tasks/token_batches.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"
#include "util/error.h"

typedef struct length_index {
    size_t length;
    size_t index;
} length_index;

// Longest first, ties in input order (qsort is not stable; the index makes the order total).
// Similar lengths end up in the same forward, and the first forward is the largest, so the
// model's activation buffer reaches its final size at once.
static int by_length_descending(const void *a, const void *b) {
    const length_index *x = a, *y = b;
    if (x->length != y->length) return x->length > y->length ? -1 : 1;
    return x->index < y->index ? -1 : (x->index > y->index);
}

int fc_run_token_batches(fc_model *model, const fc_ids *seqs, size_t n, int max_batch_tokens,
                         float *logits, fc_error *err) {
    return fc_run_batches(model, seqs, n, 0,
                          max_batch_tokens > 0 ? max_batch_tokens : FC_DEFAULT_MAX_BATCH_TOKENS,
                          logits, err);
}

int fc_run_batches(fc_model *model, const fc_ids *seqs, size_t n, int max_pairs, int max_tokens,
                   float *logits, fc_error *err) {
    return fc_run_batches_progress(model, seqs, n, max_pairs, max_tokens, logits, NULL, NULL, err);
}

int fc_run_batches_progress(fc_model *model, const fc_ids *seqs, size_t n, int max_pairs,
                            int max_tokens, float *logits, fc_batch_progress_fn on_batch,
                            void *context, fc_error *err) {
    if (n == 0) return 0;
    size_t budget = max_tokens > 0 ? (size_t)max_tokens : SIZE_MAX;
    size_t pair_limit = max_pairs > 0 ? (size_t)max_pairs : n;
    size_t num_labels = (size_t)fc_model_num_labels(model);
    size_t most = n < pair_limit ? n : pair_limit;
    length_index *order = fc_try_calloc(n, sizeof *order);
    int32_t *offsets = fc_try_calloc(most + 1, sizeof *offsets);
    float *batch_logits = fc_try_calloc(most * num_labels, sizeof *batch_logits);
    int32_t *ids = NULL;
    size_t ids_capacity = 0;
    int status = 0;
    if (!order || !offsets || !batch_logits) {
        status = fc_fail_out_of_memory(err, "the batch plan", n * sizeof *order +
                                       most * (num_labels * sizeof(float) + sizeof(int32_t)));
        goto done;
    }
    for (size_t i = 0; i < n; i++) order[i] = (length_index){seqs[i].len, i};
    qsort(order, n, sizeof *order, by_length_descending);

    for (size_t start = 0; start < n && status == 0;) {
        // Greedy fill: sequences in order while they fit; the first one always goes in.
        size_t count = 0, total = 0;
        while (start + count < n && count < pair_limit &&
               (count == 0 || total + order[start + count].length <= budget)) {
            total += order[start + count].length;
            count++;
        }
        if (total > INT32_MAX) {
            status = fc_fail(err, "sequence %zu: a forward of %zu tokens exceeds the 2^31 limit "
                                  "of packed offsets; use a smaller batch", order[start].index, total);
            break;
        }
        if (total > ids_capacity) {
            int32_t *grown = fc_try_realloc_array(ids, total, sizeof *ids);
            if (!grown) {
                status = fc_fail_out_of_memory(err, "the token ids of a batch", total * sizeof *ids);
                break;
            }
            ids = grown;
            ids_capacity = total;
        }
        offsets[0] = 0;
        for (size_t k = 0; k < count; k++) {
            const fc_ids *seq = &seqs[order[start + k].index];
            if (seq->len) memcpy(ids + offsets[k], seq->ids, seq->len * sizeof *ids);
            offsets[k + 1] = offsets[k] + (int32_t)seq->len;
        }
        if (fc_model_forward(model, ids, offsets, (int)count, batch_logits, err) != 0) {
            status = -1;
            break;
        }
        for (size_t k = 0; k < count; k++)
            memcpy(logits + order[start + k].index * num_labels, batch_logits + k * num_labels,
                   num_labels * sizeof *logits);
        start += count;
        if (on_batch) on_batch(context, start);
    }
done:
    free(batch_logits);
    free(offsets);
    free(ids);
    free(order);
    return status;
}
