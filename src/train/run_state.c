// A run's checkpoints beside the model (optimizer moments, trainer state, the log so far) and
// resume from them.
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>


#include "kernels/cpu/gemm.h"
#include "io/json_fields.h"
#include "train/checkpoint.h"
#include "train/run.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/file.h"

// The options that decide the training trajectory: a resumed run must use the same ones.
cJSON *fc_run_trajectory_options(const fc_run *r) {
    const fc_train_options *o = r->o;
    cJSON *j = cJSON_CreateObject();
    char seed[32];
    snprintf(seed, sizeof seed, "%" PRIu64, o->seed);
    cJSON_AddStringToObject(j, "seed", seed);
    cJSON_AddNumberToObject(j, "alpha", r->alpha);
    cJSON_AddNumberToObject(j, "beta", o->beta);
    cJSON_AddNumberToObject(j, "lr", o->lr);
    cJSON_AddNumberToObject(j, "weight_decay", o->weight_decay);
    cJSON_AddNumberToObject(j, "max_grad_norm", o->max_grad_norm);
    cJSON_AddNumberToObject(j, "adam_beta1", o->beta1);
    cJSON_AddNumberToObject(j, "adam_beta2", o->beta2);
    cJSON_AddNumberToObject(j, "adam_eps", o->adam_eps);
    cJSON_AddNumberToObject(j, "batch_size", o->batch_size);
    cJSON_AddNumberToObject(j, "grad_accum", o->grad_accum);
    cJSON_AddNumberToObject(j, "total_steps", (double)r->total_steps);
    cJSON_AddNumberToObject(j, "warmup_steps", (double)r->warmup);
    cJSON_AddStringToObject(j, "schedule", o->schedule == FC_SCHEDULE_COSINE ? "cosine" : "linear");
    cJSON_AddNumberToObject(j, "max_length", o->max_length);
    char fingerprint[32];
    snprintf(fingerprint, sizeof fingerprint, "%016" PRIx64, r->train.fingerprint);
    cJSON_AddStringToObject(j, "train_data_fingerprint", fingerprint);
    cJSON_AddNumberToObject(j, "train_rows", (double)r->train.n_rows);
    return j;
}

// A run folder resumes from its latest checkpoint-N; a checkpoint folder from itself.
char *fc_run_resolve_resume(const char *path, fc_error *err) {
    char *state = fc_path_join(path, "trainer_state.json");
    int direct = fc_file_exists(state);
    free(state);
    if (direct) return fc_strdup(path);
    DIR *d = opendir(path);
    if (!d) {
        fc_fail(err, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    long best = -1;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        char *end;
        if (strncmp(e->d_name, "checkpoint-", 11) != 0) continue;
        long n = strtol(e->d_name + 11, &end, 10);
        if (*end != '\0' || n <= best) continue;
        char *dir = fc_path_join(path, e->d_name);
        char *s = fc_path_join(dir, "trainer_state.json");
        if (fc_file_exists(s)) best = n;
        free(s);
        free(dir);
    }
    closedir(d);
    if (best < 0) {
        fc_fail(err, "%s: no trainer_state.json and no checkpoint-N folder to resume from", path);
        return NULL;
    }
    char name[64];
    snprintf(name, sizeof name, "checkpoint-%ld", best);
    return fc_path_join(path, name);
}


static cJSON *training_state(fc_run *r) {
    cJSON *s = cJSON_CreateObject();
    cJSON_AddStringToObject(s, "format", "finecat-trainer-state-1");
    cJSON_AddNumberToObject(s, "step", (double)r->step);
    cJSON_AddNumberToObject(s, "adamw_step", (double)r->opt.step);
    // The data-order generator as the next micro-batch's epoch needs it: its state before that
    // epoch's plan (the plan is then made again, identically, on resume).
    long next = r->step * r->o->grad_accum;
    long epoch = next / (long)r->batches_per_epoch;
    const fc_rng *g = epoch == r->plan_epoch ? &r->epoch_rng : &r->rng;
    cJSON *words = cJSON_AddArrayToObject(s, "data_rng");
    for (int i = 0; i < 4; i++) {
        char hex[20];
        snprintf(hex, sizeof hex, "%016" PRIx64, g->s[i]);
        cJSON_AddItemToArray(words, cJSON_CreateString(hex));
    }
    cJSON_AddNumberToObject(s, "data_rng_epoch", (double)epoch);
    cJSON_AddItemToObject(s, "options", fc_run_trajectory_options(r));
    // BLAS may split a product differently with another thread count, which changes float
    // rounding: a resumed run is bit-identical only with the same counts.
    cJSON_AddNumberToObject(s, "omp_threads", omp_get_max_threads());
    cJSON_AddNumberToObject(s, "blas_threads", fc_get_threads());
    // Data-parallel ranks: any count resumes (the batches are the same), but the gradient sums
    // then run in another order.
    cJSON_AddNumberToObject(s, "ranks", r->ranks);
    return s;
}

int fc_run_save_checkpoint(fc_run *r, fc_error *err) {
    char name[64];
    snprintf(name, sizeof name, "checkpoint-%ld", r->step);
    char *dir = fc_path_join(r->o->out, name);
    cJSON *state = training_state(r);
    char *csv = fc_train_log_csv(&r->log);
    fc_checkpoint_extras extras = {&r->opt, state, csv};
    int rc = fc_checkpoint_save(dir, &r->model, r->tokenizer_dir, &extras, err);
    if (rc == 0) fc_run_note(r, "saved %s", dir);
    free(csv);
    cJSON_Delete(state);
    free(dir);
    return rc;
}

int fc_run_restore(fc_run *r, const char *dir, fc_error *err) {
    cJSON *state = NULL;
    char *csv = NULL;
    if (fc_checkpoint_load_training(dir, &r->opt, &state, &csv, err) != 0) return -1;
    int rc = 0;
    cJSON *expected = fc_run_trajectory_options(r);
    const cJSON *saved = cJSON_GetObjectItemCaseSensitive(state, "options");
    const cJSON *item;
    cJSON_ArrayForEach(item, expected) {
        const cJSON *s = cJSON_GetObjectItemCaseSensitive(saved, item->string);
        if (!s || !cJSON_Compare(s, item, 1)) {
            char *want = cJSON_PrintUnformatted(item), *had = s ? cJSON_PrintUnformatted(s) : NULL;
            rc = fc_fail(err, "%s: cannot resume: %s is %s in this run but %s in the checkpoint "
                              "(resume with the options of the interrupted run)",
                         dir, item->string, want, had ? had : "absent");
            free(want);
            free(had);
            break;
        }
    }
    cJSON_Delete(expected);
    const cJSON *words = cJSON_GetObjectItemCaseSensitive(state, "data_rng");
    if (rc == 0 && (!cJSON_IsArray(words) || cJSON_GetArraySize(words) != 4))
        rc = fc_fail(err, "%s/trainer_state.json: data_rng must hold 4 words", dir);
    for (int i = 0; rc == 0 && i < 4; i++) {
        const cJSON *w = cJSON_GetArrayItem(words, i);
        r->rng.s[i] = cJSON_IsString(w) ? strtoull(w->valuestring, NULL, 16) : 0;
    }
    int step = 0, adamw_step = 0;
    if (rc == 0) rc = fc_json_require_int(state, "step", dir, &step, err);
    if (rc == 0) rc = fc_json_require_int(state, "adamw_step", dir, &adamw_step, err);
    if (rc == 0 && csv) rc = fc_train_log_parse_csv(&r->log, csv, err);
    if (rc == 0) {
        r->step = step;
        r->opt.step = adamw_step;
        r->plan_epoch = -1; // remade from the saved generator at the next micro-batch
        fc_run_note(r, "resumed from %s at step %ld", dir, r->step);
        const cJSON *omp = cJSON_GetObjectItemCaseSensitive(state, "omp_threads");
        const cJSON *blas = cJSON_GetObjectItemCaseSensitive(state, "blas_threads");
        if ((cJSON_IsNumber(omp) && omp->valueint != omp_get_max_threads()) ||
            (cJSON_IsNumber(blas) && blas->valueint != fc_get_threads()))
            fc_run_note(r, "note: the checkpoint was written with %d threads, this run has %d: "
                           "the loss curve will match to float rounding, not bit for bit",
                        cJSON_IsNumber(omp) ? omp->valueint : 0, omp_get_max_threads());
        const cJSON *ranks = cJSON_GetObjectItemCaseSensitive(state, "ranks");
        int saved_ranks = cJSON_IsNumber(ranks) ? ranks->valueint : 1;
        if (saved_ranks != r->ranks)
            fc_run_note(r, "note: the checkpoint was written by %d rank%s, this run has %d: the "
                           "same batches, with the gradient sums in another order (the loss "
                           "curve matches to float rounding)", saved_ranks,
                        saved_ranks == 1 ? "" : "s", r->ranks);
    }
    cJSON_Delete(state);
    free(csv);
    return rc;
}

int fc_run_open_csv(fc_run *r, fc_error *err) {
    r->csv_path = fc_path_join(r->o->out, "train_log.csv");
    r->csv = fopen(r->csv_path, "w");
    if (!r->csv) return fc_fail(err, "%s: cannot create: %s", r->csv_path, strerror(errno));
    char *text = fc_train_log_csv(&r->log); // the header, and a resumed run's history
    fputs(text, r->csv);
    fflush(r->csv);
    free(text);
    return 0;
}

