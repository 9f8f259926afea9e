// Runs every test suite and prints the closing line CI reads.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "harness.h"

int fc_tests_passed = 0;
int fc_tests_failed = 0;

void fc_check_at(int ok, const char *file, int line, const char *what) {
    if (ok) {
        fc_tests_passed++;
    } else {
        fc_tests_failed++;
        fprintf(stderr, "FAIL %s:%d: %s\n", file, line, what);
    }
}

void fc_check_close_at(double got, double want, double tol, const char *file, int line,
                       const char *what) {
    double diff = got > want ? got - want : want - got;
    int ok = diff <= tol; // NaN fails
    if (!ok) {
        char buf[512];
        snprintf(buf, sizeof buf, "%s (got %.9g, want %.9g, tol %.3g)", what, got, want, tol);
        fc_check_at(0, file, line, buf);
    } else {
        fc_check_at(1, file, line, what);
    }
}

static int is_dir(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

const char *fc_test_fixtures_dir(void) {
    const char *env = getenv("FINECAT_FIXTURES");
    return env ? env : "tests/fixtures";
}

const char *fc_test_shared_data_dir(void) {
    const char *env = getenv("FINECAT_SHARED");
    if (env) return env;
    if (is_dir("../shared/data")) return "../shared/data";
    return "shared/data";
}

typedef struct suite {
    const char *name;
    void (*run)(void);
} suite;

// Each test file defines one suite function; list it here.
void suite_util(void);
void suite_kernels(void);
void suite_bench(void);
void suite_safetensors(void);
void suite_tokenizer(void);
void suite_deberta_tokenizer(void);
void suite_bert_tokenizer(void);
void suite_modernbert(void);
void suite_bert(void);
void suite_bert_train(void);
void suite_shipped(void);
void suite_deberta(void);
void suite_model_load(void);
void suite_nli(void);
void suite_cli(void);
void suite_data(void);
void suite_eval(void);
void suite_train(void);
void suite_zeroshot(void);
void suite_check(void);
void suite_serve(void);
void suite_curate(void);
void suite_hub(void);
void suite_dist(void);
void suite_long_work(void);
void suite_fuzz_replay(void);
void suite_reliability(void);
void suite_isa(void); // last: reruns suites under forced ISAs
#ifdef FC_WITH_CUDA
void suite_cuda(void);
#endif

static const suite suites[] = {
    {"util", suite_util},
    {"kernels", suite_kernels},
    {"bench", suite_bench},
    {"safetensors", suite_safetensors},
    {"tokenizer", suite_tokenizer},
    {"deberta_tokenizer", suite_deberta_tokenizer},
    {"bert_tokenizer", suite_bert_tokenizer},
    {"modernbert", suite_modernbert},
    {"bert", suite_bert},
    {"bert_train", suite_bert_train},
    {"shipped", suite_shipped},
    {"deberta", suite_deberta},
    {"model_load", suite_model_load},
    {"nli", suite_nli},
    {"cli", suite_cli},
    {"data", suite_data},
    {"eval", suite_eval},
    {"train", suite_train},
    {"zeroshot", suite_zeroshot},
    {"check", suite_check},
    {"serve", suite_serve},
    {"curate", suite_curate},
    {"hub", suite_hub},
    {"dist", suite_dist},
    {"long_work", suite_long_work},
    {"fuzz_replay", suite_fuzz_replay},
    {"reliability", suite_reliability},
    {"isa", suite_isa},
#ifdef FC_WITH_CUDA
    {"cuda", suite_cuda},
#endif
};

int main(int argc, char **argv) {
    const char *only = argc > 1 ? argv[1] : NULL;
    for (size_t i = 0; i < sizeof suites / sizeof suites[0]; i++) {
        if (only && strcmp(only, suites[i].name) != 0) continue;
        int before_pass = fc_tests_passed, before_fail = fc_tests_failed;
        suites[i].run();
        printf("suite %-14s %6d passed, %d failed\n", suites[i].name,
               fc_tests_passed - before_pass, fc_tests_failed - before_fail);
        fflush(stdout);
    }
    printf("%d passed, %d failed\n", fc_tests_passed, fc_tests_failed);
    return fc_tests_failed ? 1 : 0;
}
