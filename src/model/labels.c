// Canonical NLI labels and the mapping of published label names onto them.
// Published checkpoints use at least three orders (model-reference.md §6), so labels are
// always matched by name, never by index.
#include <ctype.h>
#include <math.h>
#include <string.h>
#include <strings.h>

#include "finecat.h"

static const char *const canonical_names[FC_LABEL_COUNT] = {"entailment", "neutral",
                                                            "contradiction"};

const char *fc_label_name(fc_label label) {
    if ((int)label < 0 || label >= FC_LABEL_COUNT) return "unknown";
    return canonical_names[label];
}

// Names seen in checkpoints and datasets: full words in any case, the ANLI letters, and the
// FEVER verdicts (SUPPORTS = entailment, REFUTES = contradiction, NOT ENOUGH INFO = neutral).
int fc_label_from_name(const char *name) {
    static const struct {
        const char *name;
        fc_label label;
    } aliases[] = {
        {"entailment", FC_LABEL_ENTAILMENT},       {"entailed", FC_LABEL_ENTAILMENT},
        {"e", FC_LABEL_ENTAILMENT},                {"supports", FC_LABEL_ENTAILMENT},
        {"neutral", FC_LABEL_NEUTRAL},             {"n", FC_LABEL_NEUTRAL},
        {"not enough info", FC_LABEL_NEUTRAL},     {"contradiction", FC_LABEL_CONTRADICTION},
        {"contradicted", FC_LABEL_CONTRADICTION},  {"c", FC_LABEL_CONTRADICTION},
        {"refutes", FC_LABEL_CONTRADICTION},
    };
    if (!name) return -1;
    // Ignore surrounding whitespace: "entailment\n" from line-based files is still entailment.
    while (isspace((unsigned char)*name)) name++;
    size_t len = strlen(name);
    while (len > 0 && isspace((unsigned char)name[len - 1])) len--;
    for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++) {
        if (strlen(aliases[i].name) == len && strncasecmp(aliases[i].name, name, len) == 0)
            return (int)aliases[i].label;
    }
    return -1;
}

void fc_softmax(const float *logits, int n, float *probs) {
    float max = logits[0];
    for (int i = 1; i < n; i++)
        if (logits[i] > max) max = logits[i];
    double sum = 0.0;
    for (int i = 0; i < n; i++) {
        probs[i] = expf(logits[i] - max);
        sum += probs[i];
    }
    for (int i = 0; i < n; i++) probs[i] = (float)(probs[i] / sum);
}
