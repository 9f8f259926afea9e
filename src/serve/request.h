// Parsing and validation of the JSON bodies of the POST endpoints. Each parser fills a typed
// request or an error reply: 400 for a body that is not UTF-8 or not JSON, 422 for a wrong
// shape (missing fields, wrong types, empty lists), 413 for more pairs than the server takes
// in one request (as text-embeddings-inference answers batch-size errors).
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

#endif
