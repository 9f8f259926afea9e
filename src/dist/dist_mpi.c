// `make MPI=1`: the collectives on MPI_COMM_WORLD (OpenMPI or any MPI-3 library).
#include <inttypes.h>
#include <limits.h>
#include <mpi.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "dist/dist.h"
#include "dist/dist_hash.h"
#include "util/error.h"

static int started, rank, size = 1;
static int failure_shared; // the last failure was one every rank agreed on

static void start(void) {
    if (started) return;
    started = 1;
    int initialized = 0;
    MPI_Initialized(&initialized);
    if (!initialized) {
        int provided;
        if (MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS) {
            fprintf(stderr, "finecat: MPI_Init failed\n");
            exit(1);
        }
    }
    // Errors in a collective (a rank that died) end the job rather than return codes no
    // caller could act on.
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_ARE_FATAL);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
}

int fc_dist_rank(void) {
    start();
    return rank;
}

int fc_dist_size(void) {
    start();
    return size;
}

const char *fc_dist_backend(void) { return "mpi"; }

// MPI counts are ints: large buffers (ModernBERT-large's 395M gradients fit, a bigger model
// might not) go in pieces.
enum { PIECE = 1 << 28 };

void fc_dist_sum_floats(float *values, size_t n) {
    start();
    if (size == 1) return;
    for (size_t done = 0; done < n; done += PIECE) {
        int count = (int)(n - done < PIECE ? n - done : PIECE);
        MPI_Allreduce(MPI_IN_PLACE, values + done, count, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
    }
}

void fc_dist_sum_doubles(double *values, size_t n) {
    start();
    if (size == 1) return;
    for (size_t done = 0; done < n; done += PIECE) {
        int count = (int)(n - done < PIECE ? n - done : PIECE);
        MPI_Allreduce(MPI_IN_PLACE, values + done, count, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
    }
}

void fc_dist_max_doubles(double *values, size_t n) {
    start();
    if (size == 1) return;
    for (size_t done = 0; done < n; done += PIECE) {
        int count = (int)(n - done < PIECE ? n - done : PIECE);
        MPI_Allreduce(MPI_IN_PLACE, values + done, count, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
    }
}

void fc_dist_all_gather(const void *mine, size_t bytes, void *all) {
    start();
    if (bytes > INT_MAX) {
        fprintf(stderr, "finecat: fc_dist_all_gather: %zu bytes is over MPI's int count\n", bytes);
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
    MPI_Allgather(mine, (int)bytes, MPI_BYTE, all, (int)bytes, MPI_BYTE, MPI_COMM_WORLD);
}

int fc_dist_agree(int status, fc_error *err) {
    start();
    if (size == 1) return status == 0 ? 0 : -1;
    // The lowest failing rank, or size when none failed.
    int mine = status == 0 ? size : rank, first;
    MPI_Allreduce(&mine, &first, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
    failure_shared = first < size;
    if (first == size) return 0;
    if (status == 0) fc_fail(err, "rank %d of %d failed (its message is above)", first, size);
    return -1;
}

int fc_dist_check_same(const char *what, const void *bytes, size_t n, fc_error *err) {
    start();
    if (size == 1) return 0;
    uint64_t mine = fc_dist_hash(bytes, n), root = mine;
    MPI_Bcast(&root, 1, MPI_UINT64_T, 0, MPI_COMM_WORLD);
    int differs = mine != root, any;
    MPI_Allreduce(&differs, &any, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    failure_shared = any;
    if (!any) return 0;
    if (differs)
        return fc_fail(err, "rank %d of %d: %s differ from rank 0's (hash %016" PRIx64 ", rank 0 "
                            "has %016" PRIx64 "); start every rank with the same options and "
                            "files", rank, size, what, mine, root);
    return fc_fail(err, "rank %d of %d: another rank's %s differ from this one's (their messages "
                        "say which)", rank, size, what);
}

int fc_dist_finish(int status) {
    if (!started) return status;
    if (status != 0 && size > 1 && !failure_shared) MPI_Abort(MPI_COMM_WORLD, status);
    MPI_Finalize();
    return status;
}
