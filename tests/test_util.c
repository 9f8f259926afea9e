// Tests of the small shared pieces: label names, softmax, id lists, error formatting.
#include <math.h>
#include <string.h>

#include "finecat.h"
#include "harness.h"
#include "util/error.h"

static void test_label_names(void) {
    CHECK(fc_label_from_name("entailment") == FC_LABEL_ENTAILMENT);
    CHECK(fc_label_from_name("ENTAILMENT") == FC_LABEL_ENTAILMENT);
    CHECK(fc_label_from_name("Neutral") == FC_LABEL_NEUTRAL);
    CHECK(fc_label_from_name("contradiction\r\n") == FC_LABEL_CONTRADICTION);
    CHECK(fc_label_from_name("e") == FC_LABEL_ENTAILMENT);
    CHECK(fc_label_from_name("c") == FC_LABEL_CONTRADICTION);
    CHECK(fc_label_from_name("NOT ENOUGH INFO") == FC_LABEL_NEUTRAL);
    CHECK(fc_label_from_name("REFUTES") == FC_LABEL_CONTRADICTION);
    CHECK(fc_label_from_name("-") == -1);
    CHECK(fc_label_from_name("LABEL_0") == -1);
    CHECK(fc_label_from_name("") == -1);
    CHECK(fc_label_from_name(NULL) == -1);
    CHECK(strcmp(fc_label_name(FC_LABEL_NEUTRAL), "neutral") == 0);
}

static void test_softmax(void) {
    float logits[3] = {1.0f, 2.0f, 3.0f}, probs[3];
    fc_softmax(logits, 3, probs);
    // Reference: numpy softmax of [1, 2, 3].
    CHECK_CLOSE(probs[0], 0.09003057317038046, 1e-7);
    CHECK_CLOSE(probs[1], 0.24472847105479764, 1e-7);
    CHECK_CLOSE(probs[2], 0.6652409557748219, 1e-7);
    float big[2] = {1000.0f, 999.0f};
    fc_softmax(big, 2, probs);
    CHECK(isfinite(probs[0]) && isfinite(probs[1]));
    CHECK_CLOSE(probs[0], 0.7310585786300049, 1e-7);
}

static void test_ids_and_errors(void) {
    fc_ids ids = {0};
    for (int i = 0; i < 1000; i++) fc_ids_push(&ids, i);
    CHECK(ids.len == 1000 && ids.ids[999] == 999);
    fc_ids_free(&ids);
    CHECK(ids.ids == NULL && ids.len == 0);

    fc_error err;
    CHECK(fc_fail(&err, "%s: bad %d", "file.json", 7) == -1);
    CHECK(strcmp(err.message, "file.json: bad 7") == 0);
    fc_fail_prefix(&err, "loading %s", "dir");
    CHECK(strcmp(err.message, "loading dir: file.json: bad 7") == 0);
}

void suite_util(void) {
    test_label_names();
    test_softmax();
    test_ids_and_errors();
}
