// The label values found in data files, mapped to canonical labels: names by fc_label_from_name
// ("entailment", "e", "SUPPORTS", ... in any case), the data's own "no label" markers, a map
// the user gives, and integers only where their order is documented.
#ifndef FC_DATA_LABEL_VALUES_H
#define FC_DATA_LABEL_VALUES_H

#include <stddef.h>

#include "finecat.h"

// Outcomes other than a canonical label (0..2).
enum {
    FC_LABEL_VALUE_NO_GOLD = -2,   // "-": the annotators did not agree (SNLI, MNLI)
    FC_LABEL_VALUE_DISCARD = -3,   // "discard": the annotators threw the pair out (WANLI)
    FC_LABEL_VALUE_UNKNOWN = -4,   // no NLI label
    FC_LABEL_VALUE_NEEDS_MAP = -5, // an integer in a format that documents no integer order
};

// How a format reads integer labels when the user gives no map.
typedef enum fc_label_ints {
    FC_LABEL_INTS_NONE = 0,   // integers are an error that asks for a label map
    FC_LABEL_INTS_CANONICAL,  // finecat interchange: 0 entailment, 1 neutral, 2 contradiction
    FC_LABEL_INTS_HF,         // Hugging Face ClassLabel order of snli, multi_nli, anli and
                              // nli_fever: 0 entailment, 1 neutral, 2 contradiction, -1 none
} fc_label_ints;

typedef struct fc_label_map_entry {
    char *value;
    int label; // fc_label or FC_LABEL_VALUE_NO_GOLD
} fc_label_map_entry;

typedef struct fc_label_rules {
    fc_label_map_entry *entries; // the user's map, tried first
    size_t count;
    fc_label_ints ints;
} fc_label_rules;

// Parses the user's map ("0=entailment,1=neutral,2=contradiction", a target "-" meaning no gold
// label, or "hf"); user_map may be NULL. The error names the bad entry.
int fc_label_rules_init(fc_label_rules *rules, const char *user_map, fc_label_ints ints,
                        fc_error *err);
void fc_label_rules_free(fc_label_rules *rules);

// The label of a text value (a JSON string, a table cell, a line): 0..2 or an outcome above.
int fc_label_rules_text(const fc_label_rules *rules, const char *value);
// The label of a JSON number.
int fc_label_rules_number(const fc_label_rules *rules, double value);

#endif
