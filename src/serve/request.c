#include "serve/request.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "io/json_nul.h"
#include "tokenizer/utf8.h"
#include "util/alloc.h"

enum { HTTP_BAD_REQUEST = 400, HTTP_TOO_LARGE = 413, HTTP_UNPROCESSABLE = 422 };

static const char *type_name(const cJSON *item) {
    if (cJSON_IsArray(item)) return "an array";
    if (cJSON_IsString(item)) return "a string";
    if (cJSON_IsNumber(item)) return "a number";
    if (cJSON_IsBool(item)) return "a boolean";
    if (cJSON_IsNull(item)) return "null";
    return "an object";
}

// The body as a JSON object: UTF-8 first (JSON text is UTF-8), then the syntax, with the
// byte offset of the first error.
static cJSON *parse_object(const char *body, size_t len, fc_reply *reply) {
    size_t bad;
    if (!fc_utf8_valid(body, len, &bad)) {
        fc_reply_error(reply, HTTP_BAD_REQUEST, "invalid_utf8",
                       "the body is not valid UTF-8 (byte %zu)", bad);
        return NULL;
    }
    if (len == 0) {
        fc_reply_error(reply, HTTP_BAD_REQUEST, "invalid_json", "the body is empty; send a JSON object");
        return NULL;
    }
    if (memchr(body, '\0', len)) {
        fc_reply_error(reply, HTTP_BAD_REQUEST, "invalid_json", "the body contains a NUL byte");
        return NULL;
    }
    const char *end = NULL;
    cJSON *json = cJSON_ParseWithLengthOpts(body, len, &end, 0);
    if (json) { // cJSON stops after the first value: anything but whitespace after it is an error
        while (end < body + len && strchr(" \t\r\n", *end)) end++;
        if (end < body + len) {
            cJSON_Delete(json);
            json = NULL;
        }
    }
    if (!json) {
        size_t offset = end && end >= body && end <= body + len ? (size_t)(end - body) : 0;
        fc_reply_error(reply, HTTP_BAD_REQUEST, "invalid_json", "malformed JSON at byte %zu",
                       offset);
        return NULL;
    }
    size_t nul_at;
    if (fc_json_find_nul(body, len, &nul_at)) { // cJSON would cut the text at the NUL
        fc_reply_error(reply, HTTP_UNPROCESSABLE, "validation", "byte %zu: " FC_JSON_NUL_MESSAGE,
                       nul_at);
        cJSON_Delete(json);
        return NULL;
    }
    if (!cJSON_IsObject(json)) {
        fc_reply_error(reply, HTTP_UNPROCESSABLE, "validation",
                       "the body must be a JSON object, not %s", type_name(json));
        cJSON_Delete(json);
        return NULL;
    }
    return json;
}

// Every member of object must be one of allowed (NULL-terminated): a client that misspells
// "raw_scores" should hear so, not get an answer computed without it. where prefixes the name
// in the message ("parameters." for a nested object).
static int reject_unknown_fields(const cJSON *object, const char *const *allowed,
                                 const char *where, fc_reply *reply) {
    for (const cJSON *item = object->child; item; item = item->next) {
        size_t k = 0;
        while (allowed[k] && strcmp(allowed[k], item->string) != 0) k++;
        if (allowed[k]) continue;
        char known[256] = "";
        for (k = 0; allowed[k]; k++)
            snprintf(known + strlen(known), sizeof known - strlen(known), "%s\"%s\"",
                     k ? ", " : "", allowed[k]);
        return fc_reply_error(reply, HTTP_UNPROCESSABLE, "validation",
                              "unknown field \"%s%s\" (known fields: %s)", where, item->string,
                              known);
    }
    return 0;
}

// An optional boolean field: absent or null keeps *out.
static int optional_bool(const cJSON *object, const char *name, int *out, fc_reply *reply) {
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(object, name);
    if (!item || cJSON_IsNull(item)) return 0;
    if (!cJSON_IsBool(item))
        return fc_reply_error(reply, HTTP_UNPROCESSABLE, "validation",
                              "\"%s\" must be a boolean, not %s", name, type_name(item));
    *out = cJSON_IsTrue(item);
    return 0;
}

static int required_string(const cJSON *object, const char *name, const char **out,
                           fc_reply *reply) {
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(object, name);
    if (!item) return fc_reply_error(reply, HTTP_UNPROCESSABLE, "validation",
                                     "missing field \"%s\"", name);
    if (!cJSON_IsString(item))
        return fc_reply_error(reply, HTTP_UNPROCESSABLE, "validation",
                              "\"%s\" must be a string, not %s", name, type_name(item));
    *out = item->valuestring;
    return 0;
}

// ---------------------------------------------------------------------------------------------
// /predict

// One [premise, hypothesis] array; where names it in messages ("inputs", "inputs[3]").
static int parse_pair(const cJSON *item, const char *where, fc_pair *out, fc_reply *reply) {
    if (!cJSON_IsArray(item) || cJSON_GetArraySize(item) != 2 ||
        !cJSON_IsString(cJSON_GetArrayItem(item, 0)) || !cJSON_IsString(cJSON_GetArrayItem(item, 1)))
        return fc_reply_error(reply, HTTP_UNPROCESSABLE, "validation",
                              "%s must be a [premise, hypothesis] pair of two strings", where);
    out->premise = cJSON_GetArrayItem(item, 0)->valuestring;
    out->hypothesis = cJSON_GetArrayItem(item, 1)->valuestring;
    return 0;
}

int fc_parse_predict(const char *body, size_t len, size_t max_pairs, fc_predict_request *out,
                     fc_reply *reply) {
    memset(out, 0, sizeof *out);
    out->json = parse_object(body, len, reply);
    if (!out->json) return -1;
    static const char *const fields[] = {"inputs", "raw_scores", "truncate", NULL};
    if (reject_unknown_fields(out->json, fields, "", reply) != 0) return -1;
    const cJSON *inputs = cJSON_GetObjectItemCaseSensitive(out->json, "inputs");
    if (!inputs)
        return fc_reply_error(reply, HTTP_UNPROCESSABLE, "validation", "missing field \"inputs\"");
    if (!cJSON_IsArray(inputs))
        return fc_reply_error(reply, HTTP_UNPROCESSABLE, "validation",
                              "\"inputs\" must be a [premise, hypothesis] pair or a list of pairs, "
                              "not %s (an NLI cross-encoder classifies pairs)", type_name(inputs));
    size_t n = (size_t)cJSON_GetArraySize(inputs);
    if (n == 0)
        return fc_reply_error(reply, HTTP_UNPROCESSABLE, "validation", "\"inputs\" must not be empty");
    if (optional_bool(out->json, "raw_scores", &out->raw_scores, reply) != 0) return -1;
    if (optional_bool(out->json, "truncate", &out->truncate, reply) != 0) return -1;
    if (cJSON_IsString(inputs->child)) { // one pair
        out->single = 1;
        out->n_pairs = 1;
        out->pairs = fc_malloc(sizeof *out->pairs);
        return parse_pair(inputs, "\"inputs\"", out->pairs, reply);
    }
    if (n > max_pairs)
        return fc_reply_error(reply, HTTP_TOO_LARGE, "validation",
                              "batch size %zu > maximum allowed batch size %zu", n, max_pairs);
    out->n_pairs = n;
    out->pairs = fc_malloc(n * sizeof *out->pairs);
    size_t i = 0;
    for (const cJSON *item = inputs->child; item; item = item->next, i++) {
        char where[48];
        snprintf(where, sizeof where, "inputs[%zu]", i);
        if (parse_pair(item, where, &out->pairs[i], reply) != 0) return -1;
    }
    return 0;
}

void fc_predict_request_free(fc_predict_request *request) {
    cJSON_Delete(request->json);
    free(request->pairs);
    memset(request, 0, sizeof *request);
}

// ---------------------------------------------------------------------------------------------
// /zero-shot

static int parse_texts(const cJSON *inputs, fc_zeroshot_request *out, fc_reply *reply) {
    if (!inputs)
        return fc_reply_error(reply, HTTP_UNPROCESSABLE, "validation", "missing field \"inputs\"");
    if (cJSON_IsString(inputs)) {
        out->single = 1;
        out->n_texts = 1;
        out->texts = fc_malloc(sizeof *out->texts);
        out->texts[0] = inputs->valuestring;
        return 0;
    }
    if (!cJSON_IsArray(inputs))
        return fc_reply_error(reply, HTTP_UNPROCESSABLE, "validation",
                              "\"inputs\" must be a string or a list of strings, not %s",
                              type_name(inputs));
    out->n_texts = (size_t)cJSON_GetArraySize(inputs);
    if (out->n_texts == 0)
        return fc_reply_error(reply, HTTP_UNPROCESSABLE, "validation", "\"inputs\" must not be empty");
    out->texts = fc_malloc(out->n_texts * sizeof *out->texts);
    size_t i = 0;
    for (const cJSON *item = inputs->child; item; item = item->next, i++) {
        if (!cJSON_IsString(item))
            return fc_reply_error(reply, HTTP_UNPROCESSABLE, "validation",
                                  "inputs[%zu] must be a string, not %s", i, type_name(item));
        out->texts[i] = item->valuestring;
    }
    return 0;
}

static int parse_labels(const cJSON *labels, fc_zeroshot_request *out, fc_reply *reply) {
    if (!labels)
        return fc_reply_error(reply, HTTP_UNPROCESSABLE, "validation",
                              "missing field \"parameters.candidate_labels\"");
    if (cJSON_IsString(labels)) { // the pipeline splits a label string on commas
        fc_error err;
        if (fc_zeroshot_split_labels(labels->valuestring, &out->labels, &out->n_labels, &err) != 0)
            return fc_reply_error(reply, HTTP_UNPROCESSABLE, "validation", "%s", err.message);
    } else if (cJSON_IsArray(labels)) {
        size_t n = (size_t)cJSON_GetArraySize(labels);
        out->labels = fc_calloc(n ? n : 1, sizeof *out->labels);
        for (const cJSON *item = labels->child; item; item = item->next) {
            if (!cJSON_IsString(item))
                return fc_reply_error(reply, HTTP_UNPROCESSABLE, "validation",
                                      "candidate_labels[%zu] must be a string, not %s",
                                      out->n_labels, type_name(item));
            out->labels[out->n_labels++] = fc_strdup(item->valuestring);
        }
    } else {
        return fc_reply_error(reply, HTTP_UNPROCESSABLE, "validation",
                              "\"candidate_labels\" must be a list of strings or a "
                              "comma-separated string, not %s", type_name(labels));
    }
    if (out->n_labels == 0)
        return fc_reply_error(reply, HTTP_UNPROCESSABLE, "validation",
                              "\"candidate_labels\" must hold at least one label");
    return 0;
}

int fc_parse_zeroshot(const char *body, size_t len, size_t max_pairs, fc_zeroshot_request *out,
                      fc_reply *reply) {
    memset(out, 0, sizeof *out);
    out->hypothesis_template = FC_ZEROSHOT_DEFAULT_TEMPLATE;
    out->json = parse_object(body, len, reply);
    if (!out->json) return -1;
    static const char *const fields[] = {"inputs", "parameters", NULL};
    static const char *const parameter_fields[] = {"candidate_labels", "multi_label",
                                                   "hypothesis_template", NULL};
    if (reject_unknown_fields(out->json, fields, "", reply) != 0) return -1;
    if (parse_texts(cJSON_GetObjectItemCaseSensitive(out->json, "inputs"), out, reply) != 0)
        return -1;
    const cJSON *parameters = cJSON_GetObjectItemCaseSensitive(out->json, "parameters");
    if (!parameters)
        return fc_reply_error(reply, HTTP_UNPROCESSABLE, "validation",
                              "missing field \"parameters\" (with \"candidate_labels\")");
    if (!cJSON_IsObject(parameters))
        return fc_reply_error(reply, HTTP_UNPROCESSABLE, "validation",
                              "\"parameters\" must be an object, not %s", type_name(parameters));
    if (reject_unknown_fields(parameters, parameter_fields, "parameters.", reply) != 0) return -1;
    if (parse_labels(cJSON_GetObjectItemCaseSensitive(parameters, "candidate_labels"), out,
                     reply) != 0)
        return -1;
    if (optional_bool(parameters, "multi_label", &out->multi_label, reply) != 0) return -1;
    const cJSON *template = cJSON_GetObjectItemCaseSensitive(parameters, "hypothesis_template");
    if (template && !cJSON_IsNull(template)) {
        if (!cJSON_IsString(template))
            return fc_reply_error(reply, HTTP_UNPROCESSABLE, "validation",
                                  "\"hypothesis_template\" must be a string, not %s",
                                  type_name(template));
        out->hypothesis_template = template->valuestring;
    }
    char *probe;
    fc_error err;
    if (fc_zeroshot_hypothesis(out->hypothesis_template, out->labels[0], &probe, &err) != 0)
        return fc_reply_error(reply, HTTP_UNPROCESSABLE, "validation", "%s", err.message);
    free(probe);
    if (out->n_texts * out->n_labels > max_pairs)
        return fc_reply_error(reply, HTTP_TOO_LARGE, "validation",
                              "%zu inputs x %zu candidate labels = %zu pairs > maximum allowed "
                              "batch size %zu", out->n_texts, out->n_labels,
                              out->n_texts * out->n_labels, max_pairs);
    return 0;
}

void fc_zeroshot_request_free(fc_zeroshot_request *request) {
    cJSON_Delete(request->json);
    free(request->texts);
    fc_zeroshot_labels_free(request->labels, request->n_labels);
    memset(request, 0, sizeof *request);
}

// ---------------------------------------------------------------------------------------------
// /check

static int optional_threshold(const cJSON *object, const char *name, float *out, fc_reply *reply) {
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(object, name);
    if (!item || cJSON_IsNull(item)) return 0;
    if (!cJSON_IsNumber(item))
        return fc_reply_error(reply, HTTP_UNPROCESSABLE, "validation",
                              "\"%s\" must be a number, not %s", name, type_name(item));
    // 1e400 parses as infinity: a number, but no probability (issue 14). The threshold is a
    // float, so a finite double beyond a float's range (found by fuzzing) overflows too.
    if (!isfinite(item->valuedouble))
        return fc_reply_error(reply, HTTP_UNPROCESSABLE, "validation",
                              "\"%s\" must be a finite number (it overflows a double)", name);
    if (fabs(item->valuedouble) > FLT_MAX)
        return fc_reply_error(reply, HTTP_UNPROCESSABLE, "validation",
                              "\"%s\" must be a finite number (%g overflows a float)", name,
                              item->valuedouble);
    *out = (float)item->valuedouble;
    return 0;
}

int fc_parse_check(const char *body, size_t len, fc_check_request *out, fc_reply *reply) {
    memset(out, 0, sizeof *out);
    out->options = fc_check_default_options();
    out->json = parse_object(body, len, reply);
    if (!out->json) return -1;
    static const char *const fields[] = {"context", "answer", "support_threshold",
                                         "contradiction_threshold", NULL};
    if (reject_unknown_fields(out->json, fields, "", reply) != 0) return -1;
    if (required_string(out->json, "context", &out->context, reply) != 0) return -1;
    if (required_string(out->json, "answer", &out->answer, reply) != 0) return -1;
    if (optional_threshold(out->json, "support_threshold", &out->options.support_threshold,
                           reply) != 0)
        return -1;
    return optional_threshold(out->json, "contradiction_threshold",
                              &out->options.contradiction_threshold, reply);
}

void fc_check_request_free(fc_check_request *request) {
    cJSON_Delete(request->json);
    memset(request, 0, sizeof *request);
}

// ---------------------------------------------------------------------------------------------
// /rerank

// A list of strings (non-empty, at most max_items); name is the field's name in messages.
static int string_list(const cJSON *item, const char *name, size_t max_items, const char ***out,
                       size_t *n_out, fc_reply *reply) {
    if (!item)
        return fc_reply_error(reply, HTTP_UNPROCESSABLE, "validation", "missing field \"%s\"",
                              name);
    if (!cJSON_IsArray(item))
        return fc_reply_error(reply, HTTP_UNPROCESSABLE, "validation",
                              "\"%s\" must be a list of strings, not %s", name, type_name(item));
    size_t n = (size_t)cJSON_GetArraySize(item);
    if (n == 0)
        return fc_reply_error(reply, HTTP_UNPROCESSABLE, "validation", "\"%s\" must not be empty",
                              name);
    if (n > max_items)
        return fc_reply_error(reply, HTTP_TOO_LARGE, "validation",
                              "batch size %zu > maximum allowed batch size %zu", n, max_items);
    *out = fc_malloc(n * sizeof **out);
    size_t i = 0;
    for (const cJSON *entry = item->child; entry; entry = entry->next, i++) {
        if (!cJSON_IsString(entry))
            return fc_reply_error(reply, HTTP_UNPROCESSABLE, "validation",
                                  "%s[%zu] must be a string, not %s", name, i, type_name(entry));
        (*out)[i] = entry->valuestring;
    }
    *n_out = n;
    return 0;
}

int fc_parse_rerank(const char *body, size_t len, size_t max_texts, fc_rerank_request *out,
                    fc_reply *reply) {
    memset(out, 0, sizeof *out);
    out->json = parse_object(body, len, reply);
    if (!out->json) return -1;
    static const char *const fields[] = {"query", "texts", "raw_scores", "return_text",
                                         "truncate", "truncation_direction", NULL};
    if (reject_unknown_fields(out->json, fields, "", reply) != 0) return -1;
    if (required_string(out->json, "query", &out->query, reply) != 0) return -1;
    if (string_list(cJSON_GetObjectItemCaseSensitive(out->json, "texts"), "texts", max_texts,
                    &out->texts, &out->n_texts, reply) != 0)
        return -1;
    if (optional_bool(out->json, "raw_scores", &out->raw_scores, reply) != 0) return -1;
    if (optional_bool(out->json, "return_text", &out->return_text, reply) != 0) return -1;
    if (optional_bool(out->json, "truncate", &out->truncate, reply) != 0) return -1;
    const cJSON *direction = cJSON_GetObjectItemCaseSensitive(out->json, "truncation_direction");
    if (direction && !cJSON_IsNull(direction)) {
        // text-embeddings-inference cuts one text from its right (default) or its left; a
        // pair here is cut longest first from the right, as CrossEncoder does.
        if (!cJSON_IsString(direction))
            return fc_reply_error(reply, HTTP_UNPROCESSABLE, "validation",
                                  "\"truncation_direction\" must be a string, not %s",
                                  type_name(direction));
        if (strcasecmp(direction->valuestring, "right") != 0)
            return fc_reply_error(reply, HTTP_UNPROCESSABLE, "validation",
                                  "\"truncation_direction\" must be \"Right\": pairs are cut "
                                  "longest first from the right");
    }
    return 0;
}

void fc_rerank_request_free(fc_rerank_request *request) {
    cJSON_Delete(request->json);
    free(request->texts);
    memset(request, 0, sizeof *request);
}

// ---------------------------------------------------------------------------------------------
// /tokenize

int fc_parse_tokenize(const char *body, size_t len, size_t max_inputs, fc_tokenize_request *out,
                      fc_reply *reply) {
    memset(out, 0, sizeof *out);
    out->add_special_tokens = 1;
    out->json = parse_object(body, len, reply);
    if (!out->json) return -1;
    static const char *const fields[] = {"inputs", "add_special_tokens", NULL};
    if (reject_unknown_fields(out->json, fields, "", reply) != 0) return -1;
    const cJSON *inputs = cJSON_GetObjectItemCaseSensitive(out->json, "inputs");
    if (cJSON_IsString(inputs)) {
        out->n_inputs = 1;
        out->inputs = fc_malloc(sizeof *out->inputs);
        out->inputs[0] = inputs->valuestring;
    } else if (!inputs || cJSON_IsArray(inputs)) {
        if (string_list(inputs, "inputs", max_inputs, &out->inputs, &out->n_inputs, reply) != 0)
            return -1;
    } else {
        return fc_reply_error(reply, HTTP_UNPROCESSABLE, "validation",
                              "\"inputs\" must be a string or a list of strings, not %s",
                              type_name(inputs));
    }
    return optional_bool(out->json, "add_special_tokens", &out->add_special_tokens, reply);
}

void fc_tokenize_request_free(fc_tokenize_request *request) {
    cJSON_Delete(request->json);
    free(request->inputs);
    memset(request, 0, sizeof *request);
}
