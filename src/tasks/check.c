// The hallucination check: each answer sentence (hypothesis) against the context (premise).
//
// Windows. The model sees at most L = fc_model_max_length tokens per pair, of which the
// post-processor takes S (3 for [CLS] A [SEP] B [SEP]). Answer sentences are cut to at most
// (L - S) - (L - S) / 4 tokens, so a quarter of the window is always left to the context (a
// longer sentence keeps its first tokens). With H the longest answer sentence after that, the
// premise budget is P = L - S - H, the same for every window, so every pair fits untruncated.
//   - A context of at most P tokens is one window: the whole context, tokenized as one text, so
//     that each pair is exactly what fc_tokenizer_encode_pair gives for (context, sentence).
//   - A longer context is split into sentences (fc_split_sentences) and each window is a run
//     of whole sentences, taken greedily while the estimate fits P (each sentence's own token
//     count, plus one per sentence boundary, as joining can add a token), then tokenized as
//     that text (and cut to P in the rare case the estimate was short).
//   - Overlap: the next window starts with the last sentences of the previous one that fit in
//     a quarter of P (at least one new sentence each time), so a claim that straddles the
//     boundary of two windows is seen whole by one of them.
//   - A single sentence longer than P is cut by tokens into windows of P tokens with a stride
//     of P - P/4 (a quarter overlap).
//
// Verdicts. Per sentence and window, softmax over the model's logits, mapped to canonical
// labels by name (models order their labels differently). The sentence reports the
// probabilities of the window that entails it most and the highest contradiction over all
// windows. Supported if that entailment >= support_threshold; otherwise contradicted if the
// contradiction >= contradiction_threshold; otherwise unsupported.
#include "tasks/check.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tasks/pair_assembly.h"
#include "tasks/token_batches.h"
#include "util/alloc.h"
#include "util/error.h"

fc_check_options fc_check_default_options(void) {
    fc_check_options options = {
        .support_threshold = 0.5f,
        .contradiction_threshold = 0.5f,
        .max_batch_tokens = FC_DEFAULT_MAX_BATCH_TOKENS,
    };
    return options;
}

const char *fc_verdict_name(fc_verdict verdict) {
    switch (verdict) {
    case FC_VERDICT_SUPPORTED: return "supported";
    case FC_VERDICT_UNSUPPORTED: return "unsupported";
    case FC_VERDICT_CONTRADICTED: return "contradicted";
    }
    return "unknown";
}

int fc_check_options_validate(const fc_check_options *options, fc_error *err) {
    if (isnan(options->support_threshold))
        return fc_fail(err, "support threshold: must be a number");
    if (isnan(options->contradiction_threshold))
        return fc_fail(err, "contradiction threshold: must be a number");
    return 0;
}

static int require_nli_labels(const fc_model *model, fc_error *err) {
    int present[FC_LABEL_COUNT] = {0};
    int n = fc_model_num_labels(model);
    for (int k = 0; k < n; k++) {
        int canonical = fc_model_canonical_label(model, k);
        if (canonical >= 0) present[canonical] = 1;
    }
    for (int c = 0; c < FC_LABEL_COUNT; c++)
        if (!present[c])
            return fc_fail(err, "the check needs a model with entailment, neutral and "
                                "contradiction labels; this one has no \"%s\" label",
                           fc_label_name((fc_label)c));
    return 0;
}

// ---------------------------------------------------------------------------------------------
// Windows of the context

typedef struct window_list {
    fc_span *spans;
    fc_ids *ids;
    size_t len, cap;
} window_list;

static void add_window(window_list *list, fc_span span, const int32_t *ids, size_t n) {
    if (list->len == list->cap) {
        list->cap = list->cap ? list->cap * 2 : 8;
        list->spans = fc_realloc(list->spans, list->cap * sizeof *list->spans);
        list->ids = fc_realloc(list->ids, list->cap * sizeof *list->ids);
    }
    fc_ids *out = &list->ids[list->len];
    *out = (fc_ids){0};
    for (size_t i = 0; i < n; i++) fc_ids_push(out, ids[i]);
    list->spans[list->len++] = span;
}

static void window_list_free(window_list *list) {
    for (size_t i = 0; i < list->len; i++) fc_ids_free(&list->ids[i]);
    free(list->ids);
    free(list->spans);
    memset(list, 0, sizeof *list);
}

// Token windows of P tokens, stride P - P/4, over one sentence that alone exceeds P.
static void add_token_windows(window_list *list, fc_span span, const fc_ids *ids, size_t budget) {
    size_t stride = budget - budget / 4;
    for (size_t offset = 0;; offset += stride) {
        size_t end = offset + budget < ids->len ? offset + budget : ids->len;
        add_window(list, span, ids->ids + offset, end - offset);
        if (end == ids->len) break;
    }
}

// Tokenizes context[span] into ids (replacing them). The context tokenized whole, so its
// sentences are valid UTF-8 too and only running out of memory can fail here.
static int encode_span(const fc_tokenizer *tok, const char *context, fc_span span, fc_ids *ids,
                       fc_error *err) {
    fc_ids_clear(ids);
    if (fc_tokenizer_encode(tok, context + span.start, span.end - span.start, ids, err) != 0)
        return fc_fail_prefix(err, "context");
    return 0;
}

static int build_windows(const fc_tokenizer *tok, const char *context, size_t budget,
                         window_list *list, fc_error *err) {
    size_t len = strlen(context);
    fc_ids whole = {0};
    if (fc_tokenizer_encode(tok, context, len, &whole, err) != 0) {
        fc_ids_free(&whole);
        return fc_fail_prefix(err, "context");
    }
    if (whole.len <= budget) {
        add_window(list, (fc_span){0, len}, whole.ids, whole.len);
        fc_ids_free(&whole);
        return 0;
    }

    fc_span *sentences;
    size_t n = fc_split_sentences(context, len, &sentences);
    if (n == 0) { // long but without a sentence (whitespace only): token windows over it all
        add_token_windows(list, (fc_span){0, len}, &whole, budget);
        fc_ids_free(&whole);
        free(sentences);
        return 0;
    }
    fc_ids_free(&whole);
    size_t *counts = fc_malloc((n ? n : 1) * sizeof *counts);
    fc_ids ids = {0};
    int status = 0;
    for (size_t i = 0; i < n && status == 0; i++) {
        status = encode_span(tok, context, sentences[i], &ids, err);
        counts[i] = ids.len;
    }
    size_t quarter = budget / 4;
    for (size_t s = 0; s < n && status == 0;) {
        if (counts[s] > budget) {
            status = encode_span(tok, context, sentences[s], &ids, err);
            if (status == 0) add_token_windows(list, sentences[s], &ids, budget);
            s++;
            continue;
        }
        size_t e = s, estimate = 0;
        while (e < n) {
            size_t add = counts[e] + (e > s ? 1 : 0);
            if (estimate + add > budget) break;
            estimate += add;
            e++;
        }
        fc_span span = {sentences[s].start, sentences[e - 1].end};
        status = encode_span(tok, context, span, &ids, err);
        if (status != 0) break;
        add_window(list, span, ids.ids, ids.len < budget ? ids.len : budget);
        if (e == n) break;
        size_t next = e, tail = 0;
        while (next - 1 > s && tail + counts[next - 1] + 1 <= quarter) {
            tail += counts[next - 1] + 1;
            next--;
        }
        s = next;
    }
    fc_ids_free(&ids);
    free(counts);
    free(sentences);
    return status;
}

// ---------------------------------------------------------------------------------------------
// Plan

int fc_check_plan_build(const fc_model *model, const char *context, const char *answer,
                        fc_check_plan *plan, fc_error *err) {
    memset(plan, 0, sizeof *plan);
    if (!context) return fc_fail(err, "context: missing (NULL)");
    if (!answer) return fc_fail(err, "answer: missing (NULL)");
    if (require_nli_labels(model, err) != 0) return -1;
    const fc_tokenizer *tok = fc_model_tokenizer(model);
    int max_length = fc_model_max_length(model);
    int special = fc_pair_special_count(tok);
    if (max_length - special < 4)
        return fc_fail(err, "the model's max length %d leaves no room for a context", max_length);
    size_t room = (size_t)(max_length - special);
    size_t hypothesis_cap = room - room / 4;

    size_t answer_len = strlen(answer);
    // The answer must be valid UTF-8 as a whole before it is cut (a cut could hide a bad byte).
    fc_ids probe = {0};
    int valid = fc_tokenizer_encode(tok, answer, answer_len, &probe, err);
    fc_ids_free(&probe);
    if (valid != 0) return fc_fail_prefix(err, "answer");

    plan->n_sentences = fc_split_sentences(answer, answer_len, &plan->sentences);
    fc_ids *hypotheses = fc_calloc(plan->n_sentences ? plan->n_sentences : 1, sizeof *hypotheses);
    size_t longest = 0;
    int status = 0;
    for (size_t s = 0; s < plan->n_sentences && status == 0; s++) {
        // The answer tokenized whole, so only running out of memory can fail here.
        const fc_span *span = &plan->sentences[s];
        if (fc_tokenizer_encode(tok, answer + span->start, span->end - span->start,
                                &hypotheses[s], err) != 0)
            status = fc_fail_prefix(err, "answer");
        if (hypotheses[s].len > hypothesis_cap) hypotheses[s].len = hypothesis_cap;
        if (hypotheses[s].len > longest) longest = hypotheses[s].len;
    }

    window_list windows = {0};
    if (status == 0) status = build_windows(tok, context, room - longest, &windows, err);
    if (status == 0) {
        plan->n_windows = windows.len;
        plan->n_pairs = plan->n_sentences * plan->n_windows;
        plan->pairs = fc_calloc(plan->n_pairs ? plan->n_pairs : 1, sizeof *plan->pairs);
        for (size_t s = 0; s < plan->n_sentences && status == 0; s++)
            for (size_t w = 0; w < plan->n_windows && status == 0; w++)
                status = fc_pair_assemble(tok, &windows.ids[w], &hypotheses[s], 0,
                                          FC_TRUNCATE_NONE, &plan->pairs[s * plan->n_windows + w],
                                          err);
        plan->windows = windows.spans;
        windows.spans = NULL;
    }
    window_list_free(&windows);
    for (size_t s = 0; s < plan->n_sentences; s++) fc_ids_free(&hypotheses[s]);
    free(hypotheses);
    if (status != 0) fc_check_plan_free(plan);
    return status;
}

void fc_check_plan_free(fc_check_plan *plan) {
    for (size_t i = 0; i < plan->n_pairs; i++) fc_ids_free(&plan->pairs[i]);
    free(plan->pairs);
    free(plan->sentences);
    free(plan->windows);
    memset(plan, 0, sizeof *plan);
}

// ---------------------------------------------------------------------------------------------
// Verdicts

// Canonical probabilities of one pair: softmax over the model's labels, summed by name.
static void canonical_probs(const fc_model *model, const float *logits, float *probs_by_id,
                            float canonical[FC_LABEL_COUNT]) {
    int n = fc_model_num_labels(model);
    fc_softmax(logits, n, probs_by_id);
    for (int c = 0; c < FC_LABEL_COUNT; c++) canonical[c] = 0.0f;
    for (int k = 0; k < n; k++) {
        int c = fc_model_canonical_label(model, k);
        if (c >= 0) canonical[c] += probs_by_id[k];
    }
}

void fc_check_plan_finish(const fc_model *model, fc_check_plan *plan, const float *logits,
                          const fc_check_options *options, fc_check_result *result) {
    fc_check_options defaults = fc_check_default_options();
    if (!options) options = &defaults;
    size_t num_labels = (size_t)fc_model_num_labels(model);
    float *probs_by_id = fc_malloc(num_labels * sizeof *probs_by_id);
    memset(result, 0, sizeof *result);
    result->n_sentences = plan->n_sentences;
    result->sentences = fc_calloc(plan->n_sentences ? plan->n_sentences : 1,
                                  sizeof *result->sentences);
    for (size_t s = 0; s < plan->n_sentences; s++) {
        fc_check_sentence *out = &result->sentences[s];
        out->span = plan->sentences[s];
        out->window = -1;
        out->contradiction_window = -1;
        float best_entailment = -1.0f;
        out->max_contradiction = -1.0f;
        for (size_t w = 0; w < plan->n_windows; w++) {
            float probs[FC_LABEL_COUNT];
            canonical_probs(model, logits + (s * plan->n_windows + w) * num_labels, probs_by_id,
                            probs);
            if (probs[FC_LABEL_ENTAILMENT] > best_entailment) {
                best_entailment = probs[FC_LABEL_ENTAILMENT];
                memcpy(out->probs, probs, sizeof probs);
                out->window = (int)w;
            }
            if (probs[FC_LABEL_CONTRADICTION] > out->max_contradiction) {
                out->max_contradiction = probs[FC_LABEL_CONTRADICTION];
                out->contradiction_window = (int)w;
            }
        }
        if (best_entailment >= options->support_threshold)
            out->verdict = FC_VERDICT_SUPPORTED;
        else if (out->max_contradiction >= options->contradiction_threshold)
            out->verdict = FC_VERDICT_CONTRADICTED;
        else
            out->verdict = FC_VERDICT_UNSUPPORTED;
    }
    free(probs_by_id);
    result->n_windows = plan->n_windows;
    result->windows = plan->windows;
    plan->windows = NULL;
}

void fc_check_result_free(fc_check_result *result) {
    free(result->sentences);
    free(result->windows);
    memset(result, 0, sizeof *result);
}

int fc_check(fc_model *model, const char *context, const char *answer,
             const fc_check_options *options, fc_check_result *result, fc_error *err) {
    fc_check_options defaults = fc_check_default_options();
    if (!options) options = &defaults;
    memset(result, 0, sizeof *result);
    if (fc_check_options_validate(options, err) != 0) return -1;
    fc_check_plan plan;
    if (fc_check_plan_build(model, context, answer, &plan, err) != 0) return -1;
    size_t n_logits = plan.n_pairs * (size_t)fc_model_num_labels(model);
    float *logits = fc_try_calloc(n_logits, sizeof *logits);
    int status = logits ? fc_run_token_batches(model, plan.pairs, plan.n_pairs,
                                               options->max_batch_tokens, logits, err)
                        : fc_fail_out_of_memory(err, "the logits", n_logits * sizeof *logits);
    if (status == 0) fc_check_plan_finish(model, &plan, logits, options, result);
    free(logits);
    fc_check_plan_free(&plan);
    return status;
}
