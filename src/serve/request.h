// Parsing and validation of the JSON bodies of the POST endpoints. Each parser fills a typed
// request or an error reply: 400 for a body that is not UTF-8 or not JSON, 422 for a wrong
// shape (unknown fields, named; missing fields, wrong types, empty lists), 413 for more pairs
// than the server takes in one request (as text-embeddings-inference answers batch-size
// errors).
#ifndef FC_SERVE_REQUEST_H
#define FC_SERVE_REQUEST_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "finecat.h"
#include "serve/reply.h"

// POST /predict, the text-embeddings-inference classifier shape:
// {"inputs": [["premise", "hypothesis"], ...] or ["premise", "hypothesis"],
//  "raw_scores": false, "truncate": false}
typedef struct fc_predict_request {
    cJSON *json;     // owns the strings the pairs point to
    fc_pair *pairs;
    size_t n_pairs;
    int single;      // inputs was one pair: the answer is one list, not a list of lists
    int raw_scores;  // logits instead of probabilities
    int truncate;    // truncate over-long pairs (longest first) instead of refusing them
} fc_predict_request;

int fc_parse_predict(const char *body, size_t len, size_t max_pairs, fc_predict_request *out,
                     fc_reply *reply);
void fc_predict_request_free(fc_predict_request *request);

// POST /zero-shot, the Hugging Face inference API shape:
// {"inputs": "text" or ["text", ...], "parameters": {"candidate_labels": [...] or "a, b",
//  "multi_label": false, "hypothesis_template": "This example is {}."}}
typedef struct fc_zeroshot_request {
    cJSON *json;
    const char **texts;
    size_t n_texts;
    int single;      // inputs was one string: the answer is one object, not a list
    char **labels;   // owned copies
    size_t n_labels;
    const char *hypothesis_template;
    int multi_label;
} fc_zeroshot_request;

int fc_parse_zeroshot(const char *body, size_t len, size_t max_pairs, fc_zeroshot_request *out,
                      fc_reply *reply);
void fc_zeroshot_request_free(fc_zeroshot_request *request);

// POST /check: {"context": "...", "answer": "...", "support_threshold": 0.5,
//  "contradiction_threshold": 0.5}
typedef struct fc_check_request {
    cJSON *json;
    const char *context;
    const char *answer;
    fc_check_options options;
} fc_check_request;

int fc_parse_check(const char *body, size_t len, fc_check_request *out, fc_reply *reply);
void fc_check_request_free(fc_check_request *request);

// POST /rerank, the text-embeddings-inference shape:
// {"query": "...", "texts": ["...", ...], "raw_scores": false, "return_text": false,
//  "truncate": false, "truncation_direction": "Right"}
typedef struct fc_rerank_request {
    cJSON *json;
    const char *query;
    const char **texts;
    size_t n_texts;
    int raw_scores;  // the entailment logit instead of its probability
    int return_text; // echo each text in its result
    int truncate;
} fc_rerank_request;

int fc_parse_rerank(const char *body, size_t len, size_t max_texts, fc_rerank_request *out,
                    fc_reply *reply);
void fc_rerank_request_free(fc_rerank_request *request);

// POST /tokenize, the text-embeddings-inference shape:
// {"inputs": "text" or ["text", ...], "add_special_tokens": true}
typedef struct fc_tokenize_request {
    cJSON *json;
    const char **inputs;
    size_t n_inputs;
    int add_special_tokens;
} fc_tokenize_request;

int fc_parse_tokenize(const char *body, size_t len, size_t max_inputs, fc_tokenize_request *out,
                      fc_reply *reply);
void fc_tokenize_request_free(fc_tokenize_request *request);

#endif
