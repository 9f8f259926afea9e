// The training loop: data order, micro-batches and gradient accumulation, clipping, AdamW with
// the schedule, evaluation, logging, checkpoints and resume. The model work of a micro-batch
// is trainer.c's; everything here is bookkeeping that must be deterministic, so that a run
// resumed from checkpoint-N continues exactly as the uninterrupted run did.
#include "train/train.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "dist/dist.h"
#include "train/checkpoint.h"
#include "train/run.h"
#include "train/run_folder.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/file.h"
#include "util/progress.h"

// Independent streams from one seed: the data order and fresh weights.
#define DATA_STREAM 0x64617461ULL // "data"
#define DROPOUT_STREAM 0x64726f70ULL // "drop"

fc_train_options fc_train_default_options(void) {
    fc_train_options o = {0};
    o.alpha = FC_TRAIN_ALPHA_AUTO;
    o.beta = 0.5;
    o.lr = 5e-5;
    o.weight_decay = 0.01;
    o.max_grad_norm = 1.0;
    o.beta1 = 0.9;
    o.beta2 = 0.999;
    o.adam_eps = 1e-8;
    o.batch_size = 32;
    o.grad_accum = 1;
    o.epochs = 1.0;
    o.warmup_steps = 0;
    o.schedule = FC_SCHEDULE_LINEAR;
    o.max_length = 256;
    o.seed = 42;
    o.eval_batch_size = 64;
    return o;
}

void fc_run_note(const fc_run *r, const char *fmt, ...) {
    if (!r->o->log || r->rank != 0) return;
    // On a terminal the step line is a bar redrawn in place: a note takes its line.
    if (isatty(fileno(r->o->log))) fputs("\r\033[K", r->o->log);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(r->o->log, fmt, ap);
    va_end(ap);
    fputc('\n', r->o->log);
    fflush(r->o->log);
}

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int is_dir(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int make_dirs(const char *path, fc_error *err) {
    char *p = fc_strdup(path);
    for (char *s = p + 1; *s; s++) {
        if (*s != '/') continue;
        *s = '\0';
        if (mkdir(p, 0755) != 0 && errno != EEXIST) {
            int rc = fc_fail(err, "%s: cannot create: %s", p, strerror(errno));
            free(p);
            return rc;
        }
        *s = '/';
    }
    int rc = 0;
    if (mkdir(p, 0755) != 0 && errno != EEXIST)
        rc = fc_fail(err, "%s: cannot create: %s", p, strerror(errno));
    free(p);
    return rc;
}

// ---------------------------------------------------------------------------------------------
// Options

static int check_options(const fc_train_options *o, fc_error *err) {
    if (!o->out) return fc_fail(err, "no output folder (--out)");
    if (!o->data) return fc_fail(err, "no training data (--data)");
    if (!o->init && !o->resume) return fc_fail(err, "no model to start from (--init or --resume)");
    if (o->batch_size < 1 || o->grad_accum < 1 || o->eval_batch_size < 1)
        return fc_fail(err, "batch sizes and gradient accumulation must be at least 1");
    int alpha_auto = o->alpha == FC_TRAIN_ALPHA_AUTO;
    if (!((o->alpha >= 0 || alpha_auto) && o->beta >= 0 && (alpha_auto || o->alpha + o->beta > 0)))
        return fc_fail(err, "alpha and beta must be >= 0 and not both 0");
    if (o->overwrite && o->resume)
        return fc_fail(err, "--overwrite starts over and --resume continues: give one of them");
    if (!(o->lr > 0) || !(o->weight_decay >= 0))
        return fc_fail(err, "the learning rate must be > 0 and the weight decay >= 0");
    if (o->steps <= 0 && !(o->epochs > 0)) return fc_fail(err, "need --steps or --epochs > 0");
    if (o->warmup_steps < 0 && !(o->warmup_ratio >= 0 && o->warmup_ratio < 1))
        return fc_fail(err, "the warmup ratio must be in [0, 1)");
    if (o->n_evals > 16) return fc_fail(err, "at most 16 eval sets");
    for (int k = 0; k < o->n_evals; k++) {
        const char *name = o->evals[k].name;
        if (!*name) return fc_fail(err, "an eval set needs a name (NAME=PATH)");
        for (const char *c = name; *c; c++)
            if (!isalnum((unsigned char)*c) && *c != '_' && *c != '-' && *c != '.')
                return fc_fail(err, "eval name \"%s\": use letters, digits, _ - . only", name);
    }
    return 0;
}

// ---------------------------------------------------------------------------------------------
// Setup

static char *default_tokenizer_dir(const char *init) {
    if (is_dir(init)) return fc_strdup(init);
    const char *slash = strrchr(init, '/');
    return slash ? fc_strndup(init, (size_t)(slash - init)) : fc_strdup(".");
}

static void note_model(fc_run *r, const char *source) {
    static const char *const kinds[] = {"classifier checkpoint", "encoder checkpoint (fresh head)",
                                        "random init from config"};
    const fc_train_model *m = &r->model;
    int layers, hidden, inter, heads, vocab;
    const char *arch = "modernbert";
    if (m->arch == FC_TRAIN_BERT) {
        const fc_bert_config *c = &m->bert.config;
        arch = c->flavor == FC_BERT_FLAVOR_ROBERTA ? "roberta" : "bert";
        layers = c->num_layers, hidden = c->hidden_size, inter = c->intermediate_size;
        heads = c->num_heads, vocab = c->vocab_size;
    } else {
        const fc_modernbert_config *c = &m->params.config;
        layers = c->num_layers, hidden = c->hidden_size, inter = c->intermediate_size;
        heads = c->num_heads, vocab = c->vocab_size;
    }
    fc_run_note(r, "model: %s %s %s; %d layers, hidden %d, intermediate %d, %d heads, vocab %d; "
            "%.2fM parameters; labels %s, %s, %s",
         arch, kinds[m->kind], source, layers, hidden, inter, heads, vocab,
         (double)m->set.count / 1e6, m->labels.names[0], m->labels.names[1], m->labels.names[2]);
    if (m->arch == FC_TRAIN_BERT) {
        const fc_bert_config *c = &m->bert.config;
        fc_run_note(r, "dropout: hidden %g, attention %g, classifier %g (as in the config; off "
                       "in evaluation)", c->hidden_dropout, c->attention_dropout,
                    c->classifier_dropout);
        return;
    }
    static const char *const dropouts[] = {"embedding_dropout", "attention_dropout", "mlp_dropout",
                                           "classifier_dropout"};
    for (size_t i = 0; i < 4; i++) {
        const cJSON *p = cJSON_GetObjectItemCaseSensitive(m->config_json, dropouts[i]);
        if (cJSON_IsNumber(p) && p->valuedouble > 0)
            fc_run_note(r, "note: %s %g in the config is not applied (finecat trains ModernBERT "
                           "without dropout)", dropouts[i], p->valuedouble);
    }
}

// Chooses alpha when it was left to the data, and says exactly which loss the run optimizes:
// a loss of 0.5*CE alone would train at half the learning rate asked for, silently.
static int choose_loss(fc_run *r, fc_error *err) {
    const fc_train_options *o = r->o;
    const fc_train_set *t = &r->train;
    int automatic = o->alpha == FC_TRAIN_ALPHA_AUTO;
    r->alpha = automatic ? (t->n_teacher == 0 ? 1.0 : 0.5) : o->alpha;
    if (t->n_teacher == 0) {
        if (r->alpha == 0)
            return fc_fail(err, "%s: no row has teacher logits and --alpha is 0: the loss would "
                                "be 0", o->data);
        fc_run_note(r, "loss: L = %g*CE (no row of %s has teacher_logits, so the MSE term is 0; "
                       "alpha %g %s)%s", r->alpha, o->data, r->alpha,
                    automatic ? "because --alpha was not given: plain CE" : "from --alpha",
                    r->alpha != 1.0 ? "; the gradient is scaled by alpha, as the learning "
                                      "rate would be" : "");
    } else {
        fc_run_note(r, "loss: L = %g*CE + %g*MSE (alpha %s, beta %g); CE = mean cross-entropy "
                       "with the gold label over each batch's rows, MSE = mean squared "
                       "difference of the logits from teacher_logits over the %zu of %zu rows "
                       "that have them", r->alpha, o->beta,
                    automatic ? "0.5: --alpha not given, the data has teacher logits" : "from --alpha",
                    o->beta, t->n_teacher, t->n_rows);
    }
    return 0;
}

static int read_data(fc_run *r, fc_error *err) {
    const fc_train_options *o = r->o;
    if (fc_train_set_read(&r->train, "train", o->data, r->tok, o->max_length, err) != 0) return -1;
    const fc_train_set *t = &r->train;
    fc_run_note(r, "train: %zu rows from %s, %zu tokens (%.1f per pair); %zu with teacher logits, "
            "%zu without; %zu rows skipped (no gold label)",
         t->n_rows, o->data, t->n_tokens, (double)t->n_tokens / (double)t->n_rows, t->n_teacher,
         t->n_rows - t->n_teacher, t->n_skipped);
    if (choose_loss(r, err) != 0) return -1;
    r->evals = fc_calloc((size_t)o->n_evals + 1, sizeof *r->evals);
    for (int k = 0; k < o->n_evals; k++) {
        if (fc_train_set_read(&r->evals[k], o->evals[k].name, o->evals[k].path, r->tok,
                              o->max_length, err) != 0)
            return -1;
        fc_run_note(r, "eval %s: %zu rows from %s", o->evals[k].name, r->evals[k].n_rows,
             o->evals[k].path);
    }
    return 0;
}

static void plan_steps(fc_run *r) {
    const fc_train_options *o = r->o;
    r->batches_per_epoch = fc_batches_per_epoch(r->train.n_rows, o->batch_size);
    if (o->steps > 0) {
        r->total_steps = o->steps;
    } else {
        double micro = o->epochs * (double)r->batches_per_epoch;
        r->total_steps = (long)floor(micro / o->grad_accum);
        if (r->total_steps < 1) r->total_steps = 1;
    }
    r->warmup = o->warmup_steps >= 0 ? o->warmup_steps
                                     : (long)ceil(o->warmup_ratio * (double)r->total_steps);
    fc_run_note(r, "steps: %ld optimizer steps of %d x %d pairs (%.2f epochs of %zu batches), "
            "warmup %ld, %s schedule, peak lr %g, weight decay %g, clip %g",
         r->total_steps, o->batch_size, o->grad_accum,
         (double)r->total_steps * o->grad_accum / (double)r->batches_per_epoch,
         r->batches_per_epoch, r->warmup,
         o->schedule == FC_SCHEDULE_COSINE ? "cosine" : "linear", o->lr, o->weight_decay,
         o->max_grad_norm);
}

// ---------------------------------------------------------------------------------------------
// The loop

static int train_step(fc_run *r, fc_log_row *row, fc_error *err) {
    const fc_train_options *o = r->o;
    const fc_param_set *p = &r->model.set;
    double start = now_seconds();
    memset(p->grads, 0, p->count * sizeof *p->grads);
    double scale = 1.0 / o->grad_accum, mse_batches = 0;
    // This rank's terms of the step's loss, ce and mse means (summed over ranks below).
    double terms[3] = {0, 0, 0};
    int rc = 0;
    for (int a = 0; a < o->grad_accum && rc == 0; a++) {
        long k = r->step * o->grad_accum + a;
        fc_train_batch b = fc_run_micro_batch(r, k);
        // Dropout masks: a function of the seed and the micro-batch alone, so a resumed run
        // draws the masks the uninterrupted one would have (and each rank those of its rows).
        r->trainer.dropout_seed = o->seed ^ ((uint64_t)k * 0x9e3779b97f4a7c15ULL) ^ DROPOUT_STREAM;
        fc_loss_parts parts;
        rc = fc_trainer_accumulate(&r->trainer, &b, scale, &parts, err);
        terms[0] += parts.loss * scale;
        terms[1] += parts.ce * scale;
        terms[2] += parts.mse;
        mse_batches += b.total_teacher_rows > 0;
        row->rows += b.total_rows;
        row->teacher_rows += b.total_teacher_rows;
    }
    // The ranks' gradients add up to the whole batch's (the loss divides by the whole batch's
    // counts): one all-reduce per optimizer step, after every micro-batch of it. Only the order
    // of the float sums differs from one process's (per-rank GEMMs over fewer tokens, then the
    // all-reduce), which is why N ranks match one process to rounding, not bit for bit.
    if (fc_dist_agree(rc, err) != 0) return -1;
    fc_dist_sum_doubles(terms, 3);
    fc_dist_sum_floats(p->grads, p->count);
    row->loss = terms[0];
    row->ce = terms[1];
    row->mse = mse_batches > 0 ? terms[2] / mse_batches : 0.0;
    row->grad_norm = fc_clip_grad_norm(p->grads, p->count, o->max_grad_norm);
    row->lr = o->lr * fc_schedule_factor(o->schedule, r->step, r->warmup, r->total_steps);
    fc_adamw_begin_step(&r->opt);
    for (size_t i = 0; i < p->n_tensors; i++) {
        const fc_param_tensor *t = &p->tensors[i];
        // No weight decay on norms and biases (the Hugging Face Trainer's groups).
        int decay = t->spec.role != FC_TENSOR_NORM && t->spec.role != FC_TENSOR_BIAS;
        fc_adamw_update(&r->opt, p->values, p->grads, t->offset, t->count, row->lr,
                        decay ? o->weight_decay : 0.0);
    }
    r->step++;
    row->step = r->step;
    row->epoch = (double)(r->step * o->grad_accum) / (double)r->batches_per_epoch;
    double elapsed = now_seconds() - start;
    row->samples_per_s = elapsed > 0 ? (double)row->rows / elapsed : 0.0;
    return 0;
}

// One line per step: a plain line in a log, a bar redrawn in place on a terminal; both end with
// the time left at this run's pace so far.
static void show_step(const fc_run *r, const fc_log_row *row, double loop_start, long first_step) {
    FILE *log = r->o->log;
    if (!log || r->rank != 0) return; // the ranks run in step: rank 0 speaks for them
    double elapsed = now_seconds() - loop_start;
    long done = r->step - first_step;
    char eta[32];
    fc_progress_format_seconds(eta, sizeof eta,
                               done > 0 ? elapsed / (double)done * (double)(r->total_steps - r->step)
                                        : 0.0);
    int terminal = isatty(fileno(log));
    if (terminal) {
        enum { BAR = 20 };
        char bar[BAR + 1];
        int filled = (int)((double)r->step / (double)r->total_steps * BAR);
        for (int i = 0; i < BAR; i++) bar[i] = i < filled ? '#' : '.';
        bar[BAR] = '\0';
        fprintf(log, "\r\033[K[%s] %3.0f%% ", bar, 100.0 * (double)r->step / (double)r->total_steps);
    }
    fprintf(log, "step %ld/%ld  epoch %.2f  loss %.4f  ce %.4f  mse %.4f  lr %.3e  grad-norm %.3f  "
                 "%.1f samples/s  ETA %s%s",
            row->step, r->total_steps, row->epoch, row->loss, row->ce, row->mse, row->lr,
            row->grad_norm, row->samples_per_s, eta, terminal ? "" : "\n");
    fflush(log);
}

static int run_loop(fc_run *r, fc_train_summary *summary, fc_error *err) {
    const fc_train_options *o = r->o;
    double *acc = fc_malloc(((size_t)o->n_evals + 1) * sizeof *acc);
    int rc = 0;
    double loop_start = now_seconds();
    long first_step = r->step;
    while (r->step < r->total_steps && rc == 0) {
        fc_log_row row = {0};
        rc = train_step(r, &row, err);
        if (rc != 0) break;
        int last = r->step == r->total_steps;
        show_step(r, &row, loop_start, first_step);
        for (int k = 0; k < o->n_evals; k++) acc[k] = NAN;
        if (o->n_evals > 0 && (last || (o->eval_every > 0 && r->step % o->eval_every == 0))) {
            for (int k = 0; k < o->n_evals && rc == 0; k++) {
                rc = fc_run_evaluate(r, &r->evals[k], &acc[k], err);
                if (rc == 0)
                    fc_run_note(r, "eval step %ld: %s accuracy %.4f (%zu rows)", r->step,
                         o->evals[k].name, acc[k], r->evals[k].n_rows);
            }
        }
        row.eval_accuracy = acc;
        fc_train_log_add(&r->log, &row);
        if (r->csv) { // rank 0's
            char *line = fc_train_log_csv_row(&r->log, &row);
            fputs(line, r->csv);
            fflush(r->csv);
            free(line);
        }
        if (rc == 0 && r->rank == 0 &&
            (last || (o->save_every > 0 && r->step % o->save_every == 0)))
            rc = fc_run_save_checkpoint(r, err);
        summary->last_loss = row.loss;
        summary->last_ce = row.ce;
        summary->last_mse = row.mse;
        for (int k = 0; k < o->n_evals; k++)
            if (!isnan(acc[k])) summary->eval_accuracy[k] = acc[k];
    }
    free(acc);
    if (o->log && r->rank == 0 && isatty(fileno(o->log))) fputc('\n', o->log);
    summary->steps = r->step;
    return rc;
}

// Ranks started with other options, data, model or checkpoint would train different models
// and mix their gradients: compare everything that decides the trajectory with rank 0's.
static int check_ranks_agree(fc_run *r, fc_error *err) {
    if (r->ranks == 1) return 0;
    const fc_train_options *o = r->o;
    cJSON *j = fc_run_trajectory_options(r);
    cJSON_AddNumberToObject(j, "step", (double)r->step);
    cJSON_AddNumberToObject(j, "parameters", (double)r->model.set.count);
    cJSON_AddStringToObject(j, "init", o->init ? o->init : "");
    cJSON_AddStringToObject(j, "resume", o->resume ? o->resume : "");
    cJSON_AddStringToObject(j, "keep_layers", o->keep_layers ? o->keep_layers : "");
    cJSON_AddStringToObject(j, "out", o->out);
    cJSON_AddNumberToObject(j, "eval_every", (double)o->eval_every);
    cJSON_AddNumberToObject(j, "save_every", (double)o->save_every);
    cJSON_AddNumberToObject(j, "eval_batch_size", o->eval_batch_size);
    for (int k = 0; k < o->n_evals; k++) {
        char fingerprint[32];
        snprintf(fingerprint, sizeof fingerprint, "%016llx",
                 (unsigned long long)r->evals[k].fingerprint);
        cJSON_AddStringToObject(j, o->evals[k].name, fingerprint);
    }
    char *text = cJSON_PrintUnformatted(j);
    int rc = fc_dist_check_same("training options, data, model or checkpoint", text,
                                strlen(text), err);
    cJSON_free(text);
    cJSON_Delete(j);
    return rc;
}

static void run_free(fc_run *r) {
    if (r->csv) fclose(r->csv);
    free(r->csv_path);
    free(r->ids);
    free(r->offsets);
    free(r->labels);
    free(r->teacher);
    free(r->eval_logits);
    free(r->has_teacher);
    fc_epoch_plan_free(&r->plan);
    fc_train_log_free(&r->log);
    fc_adamw_free(&r->opt);
    fc_trainer_free(&r->trainer);
    for (int k = 0; r->evals && k < r->o->n_evals; k++) fc_train_set_free(&r->evals[k]);
    free(r->evals);
    fc_train_set_free(&r->train);
    fc_tokenizer_free(r->tok);
    free(r->tokenizer_dir);
    fc_train_model_free(&r->model);
}

int fc_train_run(const fc_train_options *o, fc_train_summary *summary, fc_error *err) {
    memset(summary, 0, sizeof *summary);
    if (check_options(o, err) != 0) return -1;
    if (fc_run_folder_check(o, err) != 0) return -1;
    double start = now_seconds();
    fc_run r = {.o = o, .plan_epoch = -1, .rank = fc_dist_rank(), .ranks = fc_dist_size()};
    fc_rng_seed(&r.rng, o->seed ^ DATA_STREAM);
    int rc = 0;
    char *resume_dir = NULL;
    if (o->resume) {
        resume_dir = fc_run_resolve_resume(o->resume, err);
        if (!resume_dir) rc = -1;
    }
    // The model: a resumed run starts from the checkpoint's weights, labels and config.
    const char *source = resume_dir ? resume_dir : o->init;
    if (rc == 0) rc = fc_train_model_init(&r.model, source, o->seed, err);
    if (rc == 0 && o->keep_layers && !resume_dir)
        rc = fc_train_model_keep_layers(&r.model, o->keep_layers, err);
    if (rc == 0) note_model(&r, source);
    if (rc == 0) {
        r.tokenizer_dir = o->tokenizer ? fc_strdup(o->tokenizer) : default_tokenizer_dir(source);
        rc = fc_tokenizer_load(r.tokenizer_dir, &r.tok, err);
    }
    if (rc == 0) rc = read_data(&r, err);
    if (rc == 0) {
        plan_steps(&r);
        fc_trainer_init(&r.trainer, &r.model, r.alpha, o->beta,
                        fc_tokenizer_token_id(r.tok, "[SEP]"));
        fc_adamw_init(&r.opt, r.model.set.count, o->beta1, o->beta2, o->adam_eps);
        const char **names = fc_calloc((size_t)o->n_evals + 1, sizeof *names);
        for (int k = 0; k < o->n_evals; k++) names[k] = o->evals[k].name;
        fc_train_log_init(&r.log, o->n_evals, names);
        free(names);
    }
    if (rc == 0 && resume_dir) rc = fc_run_restore(&r, resume_dir, err);
    // Every rank must be ready, and on the same trajectory, before the first all-reduce, and
    // before anything in --out is deleted or written: a run that cannot start leaves the
    // folder as it was (its rerun is then no "folder already holds a run").
    rc = fc_dist_agree(rc, err);
    if (rc == 0) rc = check_ranks_agree(&r, err);
    // Rank 0 owns the files: the others must not delete what it is about to write.
    if (rc == 0 && r.rank == 0) rc = fc_run_folder_clear(o, err);
    if (rc == 0) rc = make_dirs(o->out, err);
    if (rc == 0 && r.rank == 0) rc = fc_run_open_csv(&r, err);
    rc = fc_dist_agree(rc, err);
    if (rc == 0 && r.ranks > 1)
        fc_run_note(&r, "data parallel: %d ranks, each computes its share of every batch of %d "
                        "pairs (%s)", r.ranks, o->batch_size, fc_dist_backend());
    if (rc == 0) rc = run_loop(&r, summary, err);
    if (rc == 0 && r.rank == 0) {
        char *dir = fc_path_join(o->out, "model");
        rc = fc_checkpoint_save(dir, &r.model, r.tokenizer_dir, NULL, err);
        if (rc == 0) fc_run_note(&r, "saved the final model to %s", dir);
        free(dir);
    }
    if (rc == 0 && r.rank == 0) {
        char *svg = fc_path_join(o->out, "train_plot.svg");
        char title[512];
        snprintf(title, sizeof title, "finecat train: %s (alpha %g, beta %g, lr %g, %ld steps)",
                 o->data, r.alpha, o->beta, o->lr, r.total_steps);
        rc = fc_train_log_write_svg(&r.log, svg, title, err);
        free(svg);
    }
    summary->seconds = now_seconds() - start;
    free(resume_dir);
    run_free(&r);
    return rc;
}
