// A program built against an installed finecat (tests/install_test.sh compiles it with
// `pkg-config --cflags --libs finecat`): it checks that the header and the library it loaded
// agree on the version, then classifies one pair with the model given on the command line and
// prints "LABEL PROBABILITY" per label, in the model's order, for the script to check.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <finecat.h>

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: %s MODEL_DIR PREMISE HYPOTHESIS\n", argv[0]);
        return 2;
    }
    char header_version[64];
    snprintf(header_version, sizeof header_version, "%d.%d.%d", FC_VERSION_MAJOR,
             FC_VERSION_MINOR, FC_VERSION_PATCH);
    if (strcmp(fc_version(), FC_VERSION_STRING) != 0 ||
        strcmp(header_version, FC_VERSION_STRING) != 0) {
        fprintf(stderr, "consumer: library %s, header %s (%s)\n", fc_version(),
                FC_VERSION_STRING, header_version);
        return 1;
    }
    fc_error err;
    fc_model *model = NULL;
    if (fc_model_load(argv[1], &model, &err) != 0) {
        fprintf(stderr, "consumer: %s\n", err.message);
        return 1;
    }
    int num_labels = fc_model_num_labels(model);
    float *logits = malloc((size_t)num_labels * sizeof *logits);
    float *probs = malloc((size_t)num_labels * sizeof *probs);
    fc_pair pair = {.premise = argv[2], .hypothesis = argv[3]};
    fc_nli_options options = fc_nli_default_options();
    int status = 0;
    if (!logits || !probs || fc_nli_logits(model, &pair, 1, &options, logits, &err) != 0) {
        fprintf(stderr, "consumer: %s\n", logits && probs ? err.message : "out of memory");
        status = 1;
    } else {
        fc_softmax(logits, num_labels, probs);
        printf("version %s\n", fc_version());
        for (int i = 0; i < num_labels; i++)
            printf("%s %.6f\n", fc_model_label_name(model, i), probs[i]);
    }
    free(logits);
    free(probs);
    fc_model_free(model);
    return status;
}
