// The low-precision paths under the lower instruction sets oneDNN can be forced to
// (ONEDNN_MAX_CPU_ISA): whichever kernel oneDNN dispatches to on a user's CPU must give the
// same answers, so the suites that check them run again in a child process per forced ISA, and
// the child's counts join this run's. On a CPU below a forced level the child simply runs what
// the CPU has.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

// Runs this test binary's suite under ONEDNN_MAX_CPU_ISA=isa (and FINECAT_BF16_MATMUL=
// bf16_matmul unless NULL); adds its counts to ours.
static void run_child(const char *isa, const char *bf16_matmul, const char *suite) {
    char command[1024];
    snprintf(command, sizeof command, "ONEDNN_MAX_CPU_ISA=%s %s%s /proc/%d/exe %s", isa,
             bf16_matmul ? "FINECAT_BF16_MATMUL=" : "", bf16_matmul ? bf16_matmul : "",
             (int)getpid(), suite);
    FILE *child = popen(command, "r");
    CHECK(child != NULL);
    if (!child) return;
    char line[512];
    int passed = -1, failed = -1;
    while (fgets(line, sizeof line, child)) {
        int p, f;
        if (sscanf(line, "%d passed, %d failed", &p, &f) == 2) {
            passed = p;
            failed = f;
        } else if (strstr(line, "matmul kernels") || strstr(line, " as ")) {
            printf("  [%s]%s", isa, line);
        }
    }
    int status = pclose(child);
    printf("  ONEDNN_MAX_CPU_ISA=%s %s: %d passed, %d failed\n", isa, suite, passed, failed);
    CHECK(passed > 0);
    if (passed > 0) fc_tests_passed += passed;
    if (failed > 0) fc_tests_failed += failed;
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

void suite_isa(void) {
    // A child of a child would recurse: the forced runs only run the suites named here.
    if (getenv("ONEDNN_MAX_CPU_ISA")) return;
    // AVX2: 7-bit int8 and widened bf16 (AVX2-only EPYCs); AVX512_CORE: oneDNN's gemm kernels
    // with 7-bit int8 (bf16 widened: oneDNN would emulate it); AVX512_CORE_BF16: the VNNI
    // brgemm kernel and the AVX512-BF16 one, taken even where this CPU issues AVX512-BF16 too
    // slowly for it to be chosen (Zen 4 chooses it).
    static const char *const isas[] = {"AVX2", "AVX512_CORE", "AVX512_CORE_BF16"};
    static const char *const bf16_matmul[] = {NULL, NULL, "1"};
    static const char *const suites[] = {"kernels", "modernbert", "deberta", "bert"};
    for (size_t i = 0; i < sizeof isas / sizeof isas[0]; i++)
        for (size_t j = 0; j < sizeof suites / sizeof suites[0]; j++)
            run_child(isas[i], bf16_matmul[i], suites[j]);
    run_child("AVX2", NULL, "shipped"); // the real model's agreement with 7-bit activations
}
