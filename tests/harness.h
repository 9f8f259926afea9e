// A small test harness: every check counts as passed or failed, and the run ends with the
// line "N passed, N failed" that CI reads.
#ifndef FC_TESTS_HARNESS_H
#define FC_TESTS_HARNESS_H

#include <stdio.h>

extern int fc_tests_passed;
extern int fc_tests_failed;

// Records one check; prints where it failed and why.
void fc_check_at(int ok, const char *file, int line, const char *what);
void fc_check_close_at(double got, double want, double tol, const char *file, int line,
                       const char *what);

#define CHECK(cond) fc_check_at((cond) ? 1 : 0, __FILE__, __LINE__, #cond)
#define CHECK_CLOSE(got, want, tol) \
    fc_check_close_at((got), (want), (tol), __FILE__, __LINE__, #got " ~ " #want)

// Root of the repository's test fixtures and of ../shared/data, found from the environment
// (FINECAT_FIXTURES, FINECAT_SHARED) or from the working directory.
const char *fc_test_fixtures_dir(void);
const char *fc_test_shared_data_dir(void);

#endif
