// Data-parallel training's arithmetic without MPI (issue 17): a batch cut into the shares N
// ranks would compute gives, summed, the whole batch's loss and gradient (the all-reduce adds
// nothing else), for ModernBERT and for BERT with dropout on, whose masks must be the whole
// batch's at each share's tokens. `make test-mpi` (tests/mpi/run.sh) checks the same through
// mpirun. Also: the default build is one rank whose collectives change nothing.
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dist/dist.h"
#include "harness.h"
#include "kernels/cpu/dropout.h"
#include "train/data.h"
#include "train/init.h"
#include "train/trainer.h"
#include "util/alloc.h"
#include "util/file.h"

// The rows of a training set, packed as one batch (labels in the model's order).
typedef struct whole_batch {
    int n;
    int32_t *ids, *offsets;
    int labels[16];
    float teacher[16 * FC_LABEL_COUNT];
    unsigned char has_teacher[16];
} whole_batch;

static void pack(whole_batch *w, const fc_train_set *set, const fc_train_model *m) {
    w->n = (int)set->n_rows;
    w->ids = fc_malloc(set->n_tokens * sizeof *w->ids);
    w->offsets = fc_malloc((size_t)(w->n + 1) * sizeof *w->offsets);
    w->offsets[0] = 0;
    for (int i = 0; i < w->n; i++) {
        const fc_train_row *row = &set->rows[i];
        memcpy(w->ids + w->offsets[i], fc_train_row_ids(set, row), (size_t)row->length * 4);
        w->offsets[i + 1] = w->offsets[i] + row->length;
        w->labels[i] = m->model_label[row->label];
        w->has_teacher[i] = (unsigned char)row->has_teacher;
        for (int j = 0; j < FC_LABEL_COUNT; j++)
            w->teacher[i * FC_LABEL_COUNT + j] = row->teacher[m->labels.canonical[j]];
    }
}

// Rows [lo, hi) of the batch as the share a rank gets (run_data.c cuts the same way).
static fc_train_batch share(const whole_batch *w, int lo, int hi, int32_t *offsets) {
    int teacher = 0;
    for (int i = 0; i < w->n; i++) teacher += w->has_teacher[i];
    for (int i = lo; i <= hi; i++) offsets[i - lo] = w->offsets[i] - w->offsets[lo];
    return (fc_train_batch){.n_seqs = hi - lo,
                            .ids = w->ids + w->offsets[lo],
                            .offsets = offsets,
                            .labels = w->labels + lo,
                            .teacher = w->teacher + (size_t)lo * FC_LABEL_COUNT,
                            .has_teacher = w->has_teacher + lo,
                            .total_rows = w->n,
                            .total_teacher_rows = teacher,
                            .first_row = (size_t)lo,
                            .first_token = (size_t)w->offsets[lo]};
}

// The largest |a - b| over the gradient, relative to the largest |a|.
static double relative_difference(const float *a, const float *b, size_t n) {
    double diff = 0, scale = 0;
    for (size_t i = 0; i < n; i++) {
        diff = fmax(diff, fabs((double)a[i] - b[i]));
        scale = fmax(scale, fabs((double)a[i]));
    }
    return scale > 0 ? diff / scale : diff;
}

static void shares_add_up(const char *init, const char *tokenizer, int dropout) {
    fc_error err;
    fc_train_model m;
    fc_tokenizer *tok = NULL;
    fc_train_set set = {0};
    int ok = fc_train_model_init(&m, init, 7, &err) == 0;
    CHECK(ok);
    if (!ok) return;
    if (dropout) { // on, as a BERT config trains with it
        CHECK(m.arch == FC_TRAIN_BERT);
        m.bert.config.hidden_dropout = 0.1f;
        m.bert.config.attention_dropout = 0.1f;
        m.bert.config.classifier_dropout = 0.2f;
    }
    char *data = fc_path_join(fc_test_fixtures_dir(), "train/rows.jsonl");
    ok = fc_tokenizer_load(tokenizer, &tok, &err) == 0 &&
         fc_train_set_read(&set, "train", data, tok, 64, &err) == 0;
    CHECK(ok);
    free(data);
    if (ok) {
        whole_batch w;
        pack(&w, &set, &m);
        fc_trainer t;
        fc_trainer_init(&t, &m, 0.5, 0.5, fc_tokenizer_token_id(tok, "[SEP]"));
        t.dropout_seed = 12345;
        size_t count = m.set.count;
        float *whole = fc_malloc(count * sizeof *whole);
        int32_t *offsets = fc_malloc((size_t)(w.n + 1) * sizeof *offsets);
        fc_train_batch b = share(&w, 0, w.n, offsets);
        b.total_rows = 0; // the whole batch, as one process computes it
        fc_loss_parts whole_parts, parts;
        memset(m.set.grads, 0, count * sizeof *m.set.grads);
        CHECK(fc_trainer_accumulate(&t, &b, 0.5, &whole_parts, &err) == 0);
        memcpy(whole, m.set.grads, count * sizeof *whole);
        // N = 2, 3 and 4 ranks; with 4 ranks of 9 rows no share is empty, with 16 most would be.
        for (int ranks = 2; ranks <= 16; ranks = ranks == 4 ? 16 : ranks + 1) {
            memset(m.set.grads, 0, count * sizeof *m.set.grads);
            double loss = 0, ce = 0, mse = 0;
            int rows = 0, status = 0;
            for (int r = 0; r < ranks; r++) {
                int lo = w.n * r / ranks, hi = w.n * (r + 1) / ranks;
                fc_train_batch s = share(&w, lo, hi, offsets);
                status |= fc_trainer_accumulate(&t, &s, 0.5, &parts, &err);
                loss += parts.loss, ce += parts.ce, mse += parts.mse, rows += parts.rows;
            }
            CHECK(status == 0);
            CHECK(rows == w.n);
            CHECK_CLOSE(loss, whole_parts.loss, 1e-6 * fabs(whole_parts.loss));
            CHECK_CLOSE(ce, whole_parts.ce, 1e-6 * fabs(whole_parts.ce));
            CHECK_CLOSE(mse, whole_parts.mse, 1e-6 * fabs(whole_parts.mse) + 1e-12);
            double d = relative_difference(whole, m.set.grads, count);
            if (d > 1e-5) fprintf(stderr, "  %s, %d shares: gradient differs by %.2e\n", init, ranks, d);
            CHECK(d < 1e-5);
        }
        if (dropout) { // the masks matter: another seed gives another gradient
            t.dropout_seed = 999;
            b = share(&w, 0, w.n, offsets); // the shares reused the offsets
            b.total_rows = 0;
            memset(m.set.grads, 0, count * sizeof *m.set.grads);
            CHECK(fc_trainer_accumulate(&t, &b, 0.5, &parts, &err) == 0);
            CHECK(relative_difference(whole, m.set.grads, count) > 1e-3);
        }
        free(whole);
        free(offsets);
        free(w.ids);
        free(w.offsets);
        fc_trainer_free(&t);
    }
    fc_train_set_free(&set);
    fc_tokenizer_free(tok);
    fc_train_model_free(&m);
}

void suite_dist(void) {
    // The default build: one rank, and collectives that leave values as they are.
    if (strcmp(fc_dist_backend(), "none") == 0) {
        CHECK(fc_dist_rank() == 0 && fc_dist_size() == 1);
        float f[2] = {1.5f, -2.0f};
        double d[2] = {3.0, 4.0};
        fc_dist_sum_floats(f, 2);
        fc_dist_sum_doubles(d, 2);
        fc_dist_max_doubles(d, 2);
        CHECK(f[0] == 1.5f && f[1] == -2.0f && d[0] == 3.0 && d[1] == 4.0);
        fc_error err;
        CHECK(fc_dist_agree(0, &err) == 0);
        CHECK(fc_dist_agree(-1, &err) == -1);
        CHECK(fc_dist_check_same("x", "abc", 3, &err) == 0);
    }
    // A shifted seed draws the same masks at shifted indices.
    for (uint64_t first = 0; first < 5000; first += 997)
        for (uint64_t i = 0; i < 64; i++)
            if (fc_dropout_keep(fc_dropout_seed_at(42, first), i, 0.3f) !=
                fc_dropout_keep(42, first + i, 0.3f)) {
                CHECK(!"fc_dropout_seed_at shifts the mask");
                return;
            }
    CHECK(1);

    char *fixtures = fc_path_join(fc_test_fixtures_dir(), "");
    char *modernbert = fc_path_join(fixtures, "train/tiny-cls");
    char *modernbert_tok = fc_path_join(fixtures, "modernbert/tiny-cls");
    char *bert = fc_path_join(fixtures, "bert_train/bert-train");
    shares_add_up(modernbert, modernbert_tok, 0);
    shares_add_up(bert, bert, 0);
    shares_add_up(bert, bert, 1);
    free(fixtures);
    free(modernbert);
    free(modernbert_tok);
    free(bert);
}
