#include "tasks/zeroshot.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tasks/pair_assembly.h"
#include "tasks/token_batches.h"
#include "util/alloc.h"
#include "util/error.h"

fc_zeroshot_options fc_zeroshot_default_options(void) {
    fc_zeroshot_options options = {
        .hypothesis_template = FC_ZEROSHOT_DEFAULT_TEMPLATE,
        .multi_label = 0,
        .max_batch_tokens = FC_DEFAULT_MAX_BATCH_TOKENS,
    };
    return options;
}

// Tokenizes every label's hypothesis once.
static int encode_hypotheses(const fc_tokenizer *tok, const char *const *labels, size_t n_labels,
                             const char *hypothesis_template, fc_ids *out, fc_error *err) {
    for (size_t l = 0; l < n_labels; l++) {
        if (!labels[l]) return fc_fail(err, "label %zu: missing (NULL)", l);
        char *hypothesis;
        if (fc_zeroshot_hypothesis(hypothesis_template, labels[l], &hypothesis, err) != 0)
            return fc_fail_prefix(err, "label %zu", l);
        int status = fc_tokenizer_encode(tok, hypothesis, strlen(hypothesis), &out[l], err);
        free(hypothesis);
        if (status != 0) return fc_fail_prefix(err, "label %zu", l);
    }
    return 0;
}

int fc_zeroshot_encode(const fc_model *model, const char *const *texts, size_t n_texts,
                       const char *const *labels, size_t n_labels, const char *hypothesis_template,
                       fc_ids *pairs, fc_error *err) {
    if (n_texts == 0 || n_labels == 0)
        return fc_fail(err, "zero-shot needs at least one text and one label (got %zu and %zu)",
                       n_texts, n_labels);
    const fc_tokenizer *tok = fc_model_tokenizer(model);
    // The pipeline calls the tokenizer without max_length, so it truncates to model_max_length
    // and not at all when that is "unlimited" (1e30), whatever max_position_embeddings says.
    int max_length = fc_tokenizer_model_max_length(tok);
    fc_ids *hypotheses = fc_calloc(n_labels, sizeof *hypotheses);
    fc_ids premise = {0};
    int status = encode_hypotheses(tok, labels, n_labels, hypothesis_template, hypotheses, err);
    for (size_t t = 0; t < n_texts && status == 0; t++) {
        fc_ids_clear(&premise);
        if (!texts[t]) {
            status = fc_fail(err, "text %zu: missing (NULL)", t);
            break;
        }
        if (fc_tokenizer_encode(tok, texts[t], strlen(texts[t]), &premise, err) != 0) {
            status = fc_fail_prefix(err, "text %zu", t);
            break;
        }
        for (size_t l = 0; l < n_labels && status == 0; l++) {
            if (fc_pair_assemble_only_first_or_none(tok, &premise, &hypotheses[l], max_length,
                                                    &pairs[t * n_labels + l], err) != 0)
                status = fc_fail_prefix(err, "text %zu, label %zu", t, l);
        }
    }
    fc_ids_free(&premise);
    for (size_t l = 0; l < n_labels; l++) fc_ids_free(&hypotheses[l]);
    free(hypotheses);
    return status;
}

typedef struct ranked {
    float score;
    size_t index;
} ranked;

// The pipeline ranks with reversed(argsort(scores)): ascending argsort is stable for the label
// counts used in practice, so reversed, equal scores come later label first.
static int by_score_descending(const void *a, const void *b) {
    const ranked *x = a, *y = b;
    if (x->score != y->score) return x->score > y->score ? -1 : 1;
    return x->index > y->index ? -1 : (x->index < y->index);
}

void fc_zeroshot_scores(const fc_model *model, const float *logits, size_t n_texts,
                        size_t n_labels, int multi_label, size_t *ranks, float *scores) {
    size_t num_labels = (size_t)fc_model_num_labels(model);
    int entailment_id = fc_model_entailment_id(model);
    // Python indexing: entailment id -1 (no label starts with "entail") is the last column;
    // the "contradiction" column is positional, the last when entailment is 0, else column 0.
    size_t entail_col = entailment_id >= 0 ? (size_t)entailment_id : num_labels - 1;
    size_t contra_col = entailment_id == 0 ? num_labels - 1 : 0;
    ranked *row = fc_malloc(n_labels * sizeof *row);
    for (size_t t = 0; t < n_texts; t++) {
        const float *text_logits = logits + t * n_labels * num_labels;
        if (multi_label || n_labels == 1) {
            // Per label, softmax over [contradiction, entailment]: the entailment share.
            for (size_t l = 0; l < n_labels; l++) {
                const float *pair = text_logits + l * num_labels;
                double diff = (double)pair[contra_col] - (double)pair[entail_col];
                row[l] = (ranked){(float)(1.0 / (1.0 + exp(diff))), l};
            }
        } else {
            // Softmax of the entailment logits across the labels (max subtracted: equal to the
            // pipeline's plain np.exp wherever that does not overflow).
            double max = -INFINITY, sum = 0.0;
            for (size_t l = 0; l < n_labels; l++) {
                double v = text_logits[l * num_labels + entail_col];
                if (v > max) max = v;
            }
            for (size_t l = 0; l < n_labels; l++)
                sum += exp((double)text_logits[l * num_labels + entail_col] - max);
            for (size_t l = 0; l < n_labels; l++) {
                double v = exp((double)text_logits[l * num_labels + entail_col] - max) / sum;
                row[l] = (ranked){(float)v, l};
            }
        }
        qsort(row, n_labels, sizeof *row, by_score_descending);
        for (size_t r = 0; r < n_labels; r++) {
            ranks[t * n_labels + r] = row[r].index;
            scores[t * n_labels + r] = row[r].score;
        }
    }
    free(row);
}

int fc_zeroshot(fc_model *model, const char *const *texts, size_t n_texts,
                const char *const *labels, size_t n_labels, const fc_zeroshot_options *options,
                size_t *ranks, float *scores, fc_error *err) {
    fc_zeroshot_options defaults = fc_zeroshot_default_options();
    if (!options) options = &defaults;
    size_t n_pairs = n_texts * n_labels;
    if (n_labels && n_pairs / n_labels != n_texts)
        return fc_fail(err, "zero-shot: %zu texts x %zu labels is too many pairs", n_texts, n_labels);
    fc_ids *pairs = fc_try_calloc(n_pairs, sizeof *pairs);
    if (!pairs) return fc_fail_out_of_memory(err, "the zero-shot pairs", n_pairs * sizeof *pairs);
    size_t n_logits = n_pairs * (size_t)fc_model_num_labels(model);
    float *logits = NULL;
    int status = fc_zeroshot_encode(model, texts, n_texts, labels, n_labels,
                                    options->hypothesis_template, pairs, err);
    if (status == 0) {
        logits = fc_try_calloc(n_logits, sizeof *logits);
        if (!logits) status = fc_fail_out_of_memory(err, "the logits", n_logits * sizeof *logits);
    }
    if (status == 0)
        status = fc_run_token_batches(model, pairs, n_pairs, options->max_batch_tokens, logits, err);
    if (status == 0)
        fc_zeroshot_scores(model, logits, n_texts, n_labels, options->multi_label, ranks, scores);
    for (size_t i = 0; i < n_pairs; i++) fc_ids_free(&pairs[i]);
    free(pairs);
    free(logits);
    return status;
}
