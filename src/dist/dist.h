// Data parallelism across processes (issue 17): the few collective operations that training,
// curation, eval and predict need, behind one interface with two implementations picked at
// build time. dist_none.c (the default build) is a world of one rank where every operation is
// a no-op; dist_mpi.c (`make MPI=1`) runs them on MPI_COMM_WORLD. Callers write one code path
// and never test which build they are in.
//
// MPI starts on the first call (MPI_Init_thread, FUNNELED: only the main thread communicates;
// OpenMP threads compute between the calls), so commands that never distribute do not pay for
// it. Every rank must make the same collective calls in the same order.
#ifndef FC_DIST_DIST_H
#define FC_DIST_DIST_H

#include <stddef.h>

#include "finecat.h"

// This process's rank in [0, size) and the number of ranks (1 without MPI).
int fc_dist_rank(void);
int fc_dist_size(void);

// "mpi" or "none": which implementation this build has (for messages and reports).
const char *fc_dist_backend(void);

// Element-wise sum over ranks, in place; every rank ends with the same values.
void fc_dist_sum_floats(float *values, size_t n);
void fc_dist_sum_doubles(double *values, size_t n);
// Element-wise maximum over ranks, in place.
void fc_dist_max_doubles(double *values, size_t n);

// Every rank's `bytes` bytes at `mine`, in rank order, into all[size * bytes] on every rank
// (results computed on one rank and needed in order by all, or by rank 0 to write them).
// bytes must be below 2 GiB.
void fc_dist_all_gather(const void *mine, size_t bytes, void *all);

// Agreement after work that can fail on some ranks only: returns 0 when every rank's status
// was 0, else -1 on every rank. A rank whose own status was 0 gets a message naming the first
// rank that failed (that rank prints its own error), so that all ranks leave together instead
// of waiting forever in the next collective call.
int fc_dist_agree(int status, fc_error *err);

// Fails on every rank (-1, err set) unless the bytes hash the same on every rank as on rank 0:
// what names them in the message ("the training options and data"). Catches ranks started
// with different options or reading different files.
int fc_dist_check_same(const char *what, const void *bytes, size_t n, fc_error *err);

// Ends the process's part in the run: with MPI, MPI_Finalize after success (or a failure every
// rank agreed on, fc_dist_agree), MPI_Abort after a failure of this rank alone, which the
// others could otherwise wait on forever. Returns status. A no-op if MPI never started.
int fc_dist_finish(int status);

#endif
