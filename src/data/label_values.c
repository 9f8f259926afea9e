// Label values of data files to canonical labels. The order of the checks: the user's map
// (it may rename anything, even a name), the data's markers "-" and "discard", the NLI names,
// and last integers, whose meaning differs between sources and so is never guessed.
#include "data/label_values.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/alloc.h"
#include "util/error.h"

// The Hugging Face datasets snli, multi_nli, anli and nli_fever declare
// ClassLabel(names=["entailment", "neutral", "contradiction"]) and use -1 for "no gold label".
static const char hf_map[] = "0=entailment,1=neutral,2=contradiction,-1=-";

static void trim(const char **start, size_t *len) {
    while (*len > 0 && isspace((unsigned char)**start)) {
        (*start)++;
        (*len)--;
    }
    while (*len > 0 && isspace((unsigned char)(*start)[*len - 1])) (*len)--;
}

static int add_entry(fc_label_rules *rules, const char *entry, size_t len, fc_error *err) {
    const char *equals = memchr(entry, '=', len);
    if (!equals)
        return fc_fail(err, "label map: entry \"%.*s\" is not VALUE=LABEL", (int)len, entry);
    const char *value = entry, *target = equals + 1;
    size_t value_len = (size_t)(equals - entry), target_len = len - value_len - 1;
    trim(&value, &value_len);
    trim(&target, &target_len);
    if (value_len == 0)
        return fc_fail(err, "label map: entry \"%.*s\" has no value", (int)len, entry);
    char *target_text = fc_strndup(target, target_len);
    int label = strcmp(target_text, "-") == 0 ? FC_LABEL_VALUE_NO_GOLD
                                              : fc_label_from_name(target_text);
    free(target_text);
    if (label == -1)
        return fc_fail(err, "label map: \"%.*s\" is no NLI label (entailment, neutral, "
                            "contradiction, or - for no gold label)",
                       (int)target_len, target);
    for (size_t i = 0; i < rules->count; i++) {
        if (strlen(rules->entries[i].value) == value_len &&
            strncasecmp(rules->entries[i].value, value, value_len) == 0)
            return fc_fail(err, "label map: value \"%.*s\" is mapped twice", (int)value_len,
                           value);
    }
    rules->entries = fc_realloc(rules->entries, (rules->count + 1) * sizeof *rules->entries);
    rules->entries[rules->count].value = fc_strndup(value, value_len);
    rules->entries[rules->count].label = label;
    rules->count++;
    return 0;
}

int fc_label_rules_init(fc_label_rules *rules, const char *user_map, fc_label_ints ints,
                        fc_error *err) {
    memset(rules, 0, sizeof *rules);
    rules->ints = ints;
    if (!user_map) return 0;
    if (strcasecmp(user_map, "hf") == 0) user_map = hf_map;
    const char *p = user_map;
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        if (add_entry(rules, p, len, err) != 0) {
            fc_label_rules_free(rules);
            return -1;
        }
        if (!comma) break;
        p = comma + 1;
    }
    return 0;
}

void fc_label_rules_free(fc_label_rules *rules) {
    for (size_t i = 0; i < rules->count; i++) free(rules->entries[i].value);
    free(rules->entries);
    rules->entries = NULL;
    rules->count = 0;
}

static int lookup_user_map(const fc_label_rules *rules, const char *value, size_t len) {
    for (size_t i = 0; i < rules->count; i++) {
        if (strlen(rules->entries[i].value) == len &&
            strncasecmp(rules->entries[i].value, value, len) == 0)
            return rules->entries[i].label;
    }
    return FC_LABEL_VALUE_UNKNOWN;
}

static int integer_label(const fc_label_rules *rules, long long value) {
    switch (rules->ints) {
    case FC_LABEL_INTS_NONE: return FC_LABEL_VALUE_NEEDS_MAP;
    case FC_LABEL_INTS_CANONICAL:
        return value >= 0 && value < FC_LABEL_COUNT ? (int)value : FC_LABEL_VALUE_UNKNOWN;
    case FC_LABEL_INTS_HF:
        if (value == -1) return FC_LABEL_VALUE_NO_GOLD;
        return value >= 0 && value < FC_LABEL_COUNT ? (int)value : FC_LABEL_VALUE_UNKNOWN;
    }
    return FC_LABEL_VALUE_UNKNOWN;
}

// 1 when text[0..len) is an optionally signed decimal integer that fits *out.
static int parse_integer(const char *text, size_t len, long long *out) {
    size_t i = 0;
    int negative = 0;
    if (len > 0 && (text[0] == '-' || text[0] == '+')) {
        negative = text[0] == '-';
        i = 1;
    }
    if (i == len || len - i > 18) return 0;
    long long v = 0;
    for (; i < len; i++) {
        if (!isdigit((unsigned char)text[i])) return 0;
        v = v * 10 + (text[i] - '0');
    }
    *out = negative ? -v : v;
    return 1;
}

int fc_label_rules_text(const fc_label_rules *rules, const char *value) {
    size_t len = strlen(value);
    trim(&value, &len);
    int mapped = lookup_user_map(rules, value, len);
    if (mapped != FC_LABEL_VALUE_UNKNOWN) return mapped;
    if (len == 1 && value[0] == '-') return FC_LABEL_VALUE_NO_GOLD;
    if (len == 7 && strncasecmp(value, "discard", 7) == 0) return FC_LABEL_VALUE_DISCARD;
    int named = fc_label_from_name(value); // ignores the surrounding whitespace itself
    if (named >= 0) return named;
    long long number;
    if (parse_integer(value, len, &number)) return integer_label(rules, number);
    return FC_LABEL_VALUE_UNKNOWN;
}

int fc_label_rules_number(const fc_label_rules *rules, double value) {
    if (value != floor(value) || fabs(value) > 1e15) return FC_LABEL_VALUE_UNKNOWN;
    char text[32];
    int len = snprintf(text, sizeof text, "%lld", (long long)value);
    int mapped = lookup_user_map(rules, text, (size_t)len);
    if (mapped != FC_LABEL_VALUE_UNKNOWN) return mapped;
    return integer_label(rules, (long long)value);
}
