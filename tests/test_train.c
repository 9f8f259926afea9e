// Training against PyTorch (tests/fixtures/train, written by tools/fixtures/train.py): the loss
// and the gradient of every parameter of two tiny ModernBERTs on a real batch, a finite-
// difference check, torch.optim.AdamW steps with clipping, transformers' schedules; then the
// trainer itself: a checkpoint transformers loaded back, init kinds, and resume.
#include <ftw.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/cpu/gemm.h"
#include "finecat.h"
#include "harness.h"
#include "io/json_fields.h"
#include "io/safetensors.h"
#include "model/modernbert/modernbert.h"
#include "train/adamw.h"
#include "train/checkpoint.h"
#include "train/init.h"
#include "train/schedule.h"
#include "train/train.h"
#include "train/trainer.h"
#include "util/alloc.h"
#include "util/file.h"

// Gradients must match PyTorch's to 1e-4 relative to the largest entry of the same tensor
// (both are fp32; an entry-wise relative measure would be dominated by entries near zero).
#define GRAD_REL_TOL 1e-4
#define LOSS_REL_TOL 1e-5
// One AdamW step moves a parameter by about lr; fp32 rounding of the update is ~1e-7.
#define ADAMW_TOL 1e-6

static char *fixture_path(const char *name) {
    char *dir = fc_path_join(fc_test_fixtures_dir(), "train");
    char *path = fc_path_join(dir, name);
    free(dir);
    return path;
}

static cJSON *load_reference(const char *name) {
    char *path = fixture_path(name);
    cJSON *ref = NULL;
    fc_error err;
    if (fc_json_load_file(path, &ref, &err) != 0) fprintf(stderr, "%s\n", err.message);
    free(path);
    return ref;
}

static void read_floats(const cJSON *arr, float *dst, int n) {
    for (int i = 0; i < n; i++) dst[i] = (float)cJSON_GetArrayItem(arr, i)->valuedouble;
}

// The fixture batch: packed ids, labels and teacher logits mapped to the model's label order.
typedef struct fixture_batch {
    int n;
    int32_t *ids, *offsets;
    int labels[64];
    float teacher[64 * 3];
    unsigned char has_teacher[64];
    fc_train_batch batch;
} fixture_batch;

static void fixture_batch_load(fixture_batch *fb, const cJSON *ref, const fc_train_model *m) {
    const cJSON *ids = cJSON_GetObjectItem(ref, "input_ids");
    const cJSON *labels = cJSON_GetObjectItem(ref, "labels_canonical");
    const cJSON *teacher = cJSON_GetObjectItem(ref, "teacher_logits_canonical");
    fb->n = cJSON_GetArraySize(ids);
    int total = 0;
    for (int s = 0; s < fb->n; s++) total += cJSON_GetArraySize(cJSON_GetArrayItem(ids, s));
    fb->ids = fc_malloc((size_t)total * sizeof *fb->ids);
    fb->offsets = fc_malloc((size_t)(fb->n + 1) * sizeof *fb->offsets);
    fb->offsets[0] = 0;
    for (int s = 0; s < fb->n; s++) {
        const cJSON *seq = cJSON_GetArrayItem(ids, s);
        int len = cJSON_GetArraySize(seq);
        for (int i = 0; i < len; i++)
            fb->ids[fb->offsets[s] + i] = (int32_t)cJSON_GetArrayItem(seq, i)->valueint;
        fb->offsets[s + 1] = fb->offsets[s] + len;
        fb->labels[s] = m->model_label[cJSON_GetArrayItem(labels, s)->valueint];
        const cJSON *t = cJSON_GetArrayItem(teacher, s);
        fb->has_teacher[s] = cJSON_IsArray(t);
        for (int c = 0; fb->has_teacher[s] && c < 3; c++)
            fb->teacher[s * 3 + m->model_label[c]] = (float)cJSON_GetArrayItem(t, c)->valuedouble;
    }
    fb->batch = (fc_train_batch){.n_seqs = fb->n, .ids = fb->ids, .offsets = fb->offsets,
                                 .labels = fb->labels, .teacher = fb->teacher,
                                 .has_teacher = fb->has_teacher};
}

static void fixture_batch_free(fixture_batch *fb) {
    free(fb->ids);
    free(fb->offsets);
}

static double max_abs(const float *x, size_t n) {
    double m = 0.0;
    for (size_t i = 0; i < n; i++)
        if (fabs(x[i]) > m) m = fabs(x[i]);
    return m;
}

// Worst relative difference of one tensor's gradient, against the reference gradient file.
static double tensor_grad_error(const fc_train_model *m, const fc_param_tensor *t,
                                const fc_safetensors *ref) {
    const float *got = m->params.grads + t->offset;
    float *want = fc_calloc(t->count, sizeof *want);
    fc_error err;
    if (t->spec.role == FC_TENSOR_EMBEDDING) {
        // Only the rows the batch used are stored; every other row must be exactly zero.
        const fc_tensor *rows = fc_safetensors_find(ref, "tok_embeddings.rows");
        if (!rows) return INFINITY;
        int64_t n_rows = rows->shape[0], H = t->spec.shape[1];
        int64_t shape[2] = {n_rows, H};
        float *values = fc_malloc((size_t)(n_rows * H) * sizeof *values);
        CHECK(fc_safetensors_read_f32(ref, "tok_embeddings.values", 2, shape, values, &err) == 0);
        const int64_t *ids = rows->data;
        for (int64_t r = 0; r < n_rows; r++)
            memcpy(want + ids[r] * H, values + r * H, (size_t)H * sizeof *want);
        free(values);
    } else if (fc_safetensors_read_f32(ref, t->spec.name, t->spec.ndim, t->spec.shape, want, &err) != 0) {
        fprintf(stderr, "%s\n", err.message);
        free(want);
        return INFINITY;
    }
    double worst = 0.0, scale = max_abs(want, t->count);
    for (size_t i = 0; i < t->count; i++) {
        double d = fabs((double)got[i] - want[i]);
        if (!(d <= worst)) worst = d;
    }
    free(want);
    return scale > 0.0 ? worst / scale : worst;
}

static double loss_of(fc_trainer *tr, const fixture_batch *fb) {
    float logits[64 * 3], dlogits[64 * 3];
    fc_error err;
    fc_loss_parts parts;
    if (fc_trainer_logits(tr, fb->ids, fb->offsets, fb->n, logits, &err) != 0) return NAN;
    fc_distill_loss(logits, fb->labels, fb->teacher, fb->has_teacher, fb->n, 3, tr->alpha,
                    tr->beta, 1.0, dlogits, &parts);
    return parts.loss;
}

// Central differences on the entry with the largest gradient of a few tensors.
static void finite_differences(fc_trainer *tr, const fixture_batch *fb, const char *model) {
    static const char *const names[] = {
        "model.layers.1.attn.Wqkv.weight", "model.layers.0.mlp.Wo.weight",
        "model.embeddings.norm.weight", "model.embeddings.tok_embeddings.weight",
        "head.dense.weight", "classifier.bias", "model.layers.1.attn_norm.weight",
    };
    fc_modernbert_params *p = &tr->model->params;
    double worst = 0.0;
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
        const fc_param_tensor *t = fc_modernbert_params_find(p, names[k]);
        CHECK(t != NULL);
        if (!t) continue;
        size_t best = 0;
        for (size_t i = 1; i < t->count; i++)
            if (fabsf(p->grads[t->offset + i]) > fabsf(p->grads[t->offset + best])) best = i;
        float *x = p->values + t->offset + best, saved = *x;
        const float h = 1e-3f;
        *x = saved + h;
        double up = loss_of(tr, fb);
        *x = saved - h;
        double down = loss_of(tr, fb);
        *x = saved;
        double numeric = (up - down) / (2.0 * h), analytic = p->grads[t->offset + best];
        double rel = fabs(numeric - analytic) / fmax(fabs(analytic), 1e-3);
        if (rel > worst) worst = rel;
        CHECK_CLOSE(rel, 0.0, 2e-2);
    }
    printf("  %-9s finite differences (h = 1e-3, fp32 loss) vs analytic: worst rel %.2e\n", model,
           worst);
}

static void check_gradients(const char *model, const cJSON *ref) {
    const cJSON *mref = cJSON_GetObjectItem(cJSON_GetObjectItem(ref, "models"), model);
    char *dir = fixture_path(model);
    fc_train_model m;
    fc_error err;
    int ok = fc_train_model_init(&m, dir, 1, &err) == 0;
    if (!ok) fprintf(stderr, "%s: %s\n", model, err.message);
    CHECK(ok);
    CHECK(ok && m.kind == FC_INIT_CLASSIFIER);
    if (!ok) {
        free(dir);
        return;
    }
    fixture_batch fb;
    fixture_batch_load(&fb, ref, &m);
    fc_trainer tr;
    double alpha = cJSON_GetObjectItem(ref, "alpha")->valuedouble;
    double beta = cJSON_GetObjectItem(ref, "beta")->valuedouble;
    fc_trainer_init(&tr, &m, alpha, beta, -1);
    memset(m.params.grads, 0, m.params.count * sizeof(float));
    fc_loss_parts parts;
    CHECK(fc_trainer_accumulate(&tr, &fb.batch, 1.0, &parts, &err) == 0);

    // Loss parts and logits.
    double want_loss = cJSON_GetObjectItem(mref, "loss")->valuedouble;
    CHECK_CLOSE(parts.loss / want_loss, 1.0, LOSS_REL_TOL);
    CHECK_CLOSE(parts.ce / cJSON_GetObjectItem(mref, "ce")->valuedouble, 1.0, LOSS_REL_TOL);
    CHECK_CLOSE(parts.mse / cJSON_GetObjectItem(mref, "mse")->valuedouble, 1.0, LOSS_REL_TOL);
    CHECK(parts.teacher_rows == fb.n - 2 && parts.rows == fb.n);
    const cJSON *logits = cJSON_GetObjectItem(mref, "logits");
    double worst_logit = 0.0;
    for (int s = 0; s < fb.n; s++) {
        float want[3];
        read_floats(cJSON_GetArrayItem(logits, s), want, 3);
        for (int j = 0; j < 3; j++) {
            double d = fabs(tr.logits[s * 3 + j] - want[j]);
            if (!(d <= worst_logit)) worst_logit = d;
        }
    }
    CHECK_CLOSE(worst_logit, 0.0, 1e-4);

    // Every parameter's gradient.
    char *grads_path = fc_path_join(dir, "grads.safetensors");
    fc_safetensors *grads = NULL;
    CHECK(fc_safetensors_open_file(grads_path, &grads, &err) == 0);
    double worst = 0.0;
    const char *worst_name = "";
    for (size_t i = 0; grads && i < m.params.n_tensors; i++) {
        const fc_param_tensor *t = &m.params.tensors[i];
        double e = tensor_grad_error(&m, t, grads);
        if (!(e <= GRAD_REL_TOL)) fprintf(stderr, "  %s: %s gradient rel error %.3g\n", model, t->spec.name, e);
        CHECK(e <= GRAD_REL_TOL);
        if (!(e <= worst)) {
            worst = e;
            worst_name = t->spec.name;
        }
    }
    // Every reference gradient has a C tensor (nothing is silently skipped).
    size_t n_ref = grads ? fc_safetensors_count(grads) : 0;
    CHECK(n_ref == m.params.n_tensors + 1); // the embedding is stored as rows + values
    printf("  %-9s loss %.6f (ref %.6f), %zu gradients, worst rel error %.2e (%s), logits %.1e\n",
           model, parts.loss, want_loss, m.params.n_tensors, worst, worst_name, worst_logit);
    finite_differences(&tr, &fb, model);

    fc_safetensors_close(grads);
    free(grads_path);
    fc_trainer_free(&tr);
    fixture_batch_free(&fb);
    fc_train_model_free(&m);
    free(dir);
}

// ---------------------------------------------------------------------------------------------

static int read_nested(const cJSON *arr, float *dst) {
    int n = 0;
    const cJSON *item;
    cJSON_ArrayForEach(item, arr) {
        if (cJSON_IsArray(item))
            n += read_nested(item, dst + n);
        else
            dst[n++] = (float)item->valuedouble;
    }
    return n;
}

static void test_adamw(const cJSON *ref) {
    const cJSON *a = cJSON_GetObjectItem(ref, "adamw");
    static const char *const names[] = {"linear.weight", "linear.bias", "norm.weight"};
    size_t offsets[4] = {0};
    float params[64], grads[64];
    int decay[3];
    for (int k = 0; k < 3; k++) {
        int n = read_nested(cJSON_GetObjectItem(cJSON_GetObjectItem(a, "params_start"), names[k]),
                            params + offsets[k]);
        offsets[k + 1] = offsets[k] + n;
        decay[k] = cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetObjectItem(a, "decay"), names[k]));
    }
    size_t count = offsets[3];
    const cJSON *betas = cJSON_GetObjectItem(a, "betas");
    fc_adamw opt;
    fc_adamw_init(&opt, count, cJSON_GetArrayItem(betas, 0)->valuedouble,
                  cJSON_GetArrayItem(betas, 1)->valuedouble, cJSON_GetObjectItem(a, "eps")->valuedouble);
    double wd = cJSON_GetObjectItem(a, "weight_decay")->valuedouble;
    double max_norm = cJSON_GetObjectItem(a, "max_grad_norm")->valuedouble;
    const cJSON *step;
    double worst = 0.0, worst_norm = 0.0;
    int clipped = 0;
    cJSON_ArrayForEach(step, cJSON_GetObjectItem(a, "steps")) {
        for (int k = 0; k < 3; k++)
            read_nested(cJSON_GetObjectItem(cJSON_GetObjectItem(step, "grads"), names[k]),
                        grads + offsets[k]);
        double norm = fc_clip_grad_norm(grads, count, max_norm);
        double want_norm = cJSON_GetObjectItem(step, "total_norm")->valuedouble;
        worst_norm = fmax(worst_norm, fabs(norm / want_norm - 1.0));
        CHECK_CLOSE(norm / want_norm, 1.0, 1e-6);
        clipped += norm > max_norm;
        double lr = cJSON_GetObjectItem(step, "lr")->valuedouble;
        fc_adamw_begin_step(&opt);
        for (int k = 0; k < 3; k++)
            fc_adamw_update(&opt, params, grads, offsets[k], offsets[k + 1] - offsets[k], lr,
                            decay[k] ? wd : 0.0);
        float want[64];
        for (int k = 0; k < 3; k++)
            read_nested(cJSON_GetObjectItem(cJSON_GetObjectItem(step, "params_after"), names[k]),
                        want + offsets[k]);
        for (size_t i = 0; i < count; i++) worst = fmax(worst, fabs(params[i] - want[i]));
    }
    CHECK_CLOSE(worst, 0.0, ADAMW_TOL);
    CHECK(opt.step == 3);
    CHECK(clipped >= 1 && clipped < 3); // the fixture clips some steps, not all
    float m[64], v[64];
    double worst_state = 0.0;
    for (int k = 0; k < 3; k++) {
        const cJSON *st = cJSON_GetObjectItem(cJSON_GetObjectItem(a, "final_state"), names[k]);
        read_nested(cJSON_GetObjectItem(st, "exp_avg"), m + offsets[k]);
        read_nested(cJSON_GetObjectItem(st, "exp_avg_sq"), v + offsets[k]);
    }
    for (size_t i = 0; i < count; i++) {
        worst_state = fmax(worst_state, fabs(opt.m[i] - m[i]) / fmax(fabs(m[i]), 1e-6));
        worst_state = fmax(worst_state, fabs(opt.v[i] - v[i]) / fmax(fabs(v[i]), 1e-6));
    }
    CHECK_CLOSE(worst_state, 0.0, 1e-5);
    printf("  adamw     3 steps vs torch.optim.AdamW: max |param diff| %.2e, moments rel %.2e, "
           "clip norm rel %.2e\n", worst, worst_state, worst_norm);
    fc_adamw_free(&opt);
}

static void test_schedules(const cJSON *ref) {
    const cJSON *s;
    double worst = 0.0;
    int cases = 0;
    cJSON_ArrayForEach(s, cJSON_GetObjectItem(ref, "schedules")) {
        fc_schedule kind = strcmp(cJSON_GetObjectItem(s, "schedule")->valuestring, "cosine") == 0
                               ? FC_SCHEDULE_COSINE
                               : FC_SCHEDULE_LINEAR;
        long warmup = cJSON_GetObjectItem(s, "warmup")->valueint;
        long total = cJSON_GetObjectItem(s, "total")->valueint;
        const cJSON *f;
        long step = 0;
        cJSON_ArrayForEach(f, cJSON_GetObjectItem(s, "factors")) {
            worst = fmax(worst, fabs(fc_schedule_factor(kind, step++, warmup, total) - f->valuedouble));
        }
        cases++;
    }
    CHECK(cases == 8);
    CHECK_CLOSE(worst, 0.0, 1e-12);
}

// ---------------------------------------------------------------------------------------------
// The trainer end to end on the fixture rows

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void remove_tree(const char *dir) {
    nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static char *tokenizer_dir(void) {
    return fc_path_join(fc_test_shared_data_dir(), "tokenizers/ModernBERT-large");
}

// The options of tools/fixtures/train.py ROUNDTRIP_ARGS.
static fc_train_options roundtrip_options(const char *init, const char *tok, const char *data,
                                          const char *out) {
    fc_train_options o = fc_train_default_options();
    o.init = init;
    o.tokenizer = tok;
    o.data = data;
    o.out = out;
    o.steps = 3;
    o.batch_size = 4;
    o.grad_accum = 1;
    o.lr = 1e-2;
    o.warmup_steps = 1;
    o.schedule = FC_SCHEDULE_LINEAR;
    o.weight_decay = 0.01;
    o.seed = 7;
    o.max_length = 96;
    return o;
}

static int read_file_bytes(const char *path, char **data, size_t *size) {
    fc_error err;
    return fc_read_file(path, data, size, &err);
}

// finecat trains tiny-mean for 3 steps and saves it; transformers loaded the checkpoint that
// the same command wrote and recorded its logits (roundtrip.json). The C run must reproduce
// them through the public load path (fc_model_load, the copied tokenizer) and the trainer's
// own forward.
static void test_roundtrip(const char *tmp) {
    cJSON *ref = load_reference("roundtrip.json");
    CHECK(ref != NULL);
    if (!ref) return;
    CHECK_CLOSE(cJSON_GetObjectItem(ref, "max_abs_diff")->valuedouble, 0.0, 1e-4);
    char *init = fixture_path("tiny-mean"), *data = fixture_path("rows.jsonl");
    char *tok = tokenizer_dir(), *out = fc_path_join(tmp, "roundtrip");
    fc_train_options o = roundtrip_options(init, tok, data, out);
    fc_train_summary summary;
    fc_error err;
    int ok = fc_train_run(&o, &summary, &err) == 0;
    if (!ok) fprintf(stderr, "train: %s\n", err.message);
    CHECK(ok && summary.steps == 3);
    char *model_dir = fc_path_join(out, "model");
    fc_model *model = NULL;
    ok = ok && fc_model_load(model_dir, &model, &err) == 0;
    if (!ok) fprintf(stderr, "load: %s\n", err.message);
    CHECK(ok);
    const cJSON *ids = cJSON_GetObjectItem(ref, "input_ids");
    const cJSON *want = cJSON_GetObjectItem(ref, "transformers_logits");
    double worst = 0.0;
    for (int s = 0; ok && s < cJSON_GetArraySize(ids); s++) {
        const cJSON *seq = cJSON_GetArrayItem(ids, s);
        int n = cJSON_GetArraySize(seq);
        int32_t tokens[512], offsets[2] = {0, n};
        for (int i = 0; i < n && i < 512; i++) tokens[i] = cJSON_GetArrayItem(seq, i)->valueint;
        float logits[3], expected[3];
        CHECK(fc_model_forward(model, tokens, offsets, 1, logits, &err) == 0);
        read_floats(cJSON_GetArrayItem(want, s), expected, 3);
        for (int j = 0; j < 3; j++) worst = fmax(worst, fabs(logits[j] - expected[j]));
    }
    CHECK_CLOSE(worst, 0.0, 1e-4);
    // The copied tokenizer reproduces transformers' ids for the pairs.
    const fc_tokenizer *t = ok ? fc_model_tokenizer(model) : NULL;
    CHECK(t && fc_model_num_labels(model) == 3 &&
          strcmp(fc_model_label_name(model, 0), "contradiction") == 0);
    printf("  roundtrip finecat-trained checkpoint: C logits vs transformers' %.2e "
           "(transformers vs finecat when generated: %.2e)\n",
           worst, cJSON_GetObjectItem(ref, "max_abs_diff")->valuedouble);
    fc_model_free(model);
    free(model_dir);
    free(init);
    free(data);
    free(tok);
    free(out);
    cJSON_Delete(ref);
}

// Save → load gives the very same logits (the inference forward on the mmapped checkpoint and
// the trainer's forward on its master weights are the same code on the same floats).
static void test_save_load(const char *tmp) {
    char *dir = fixture_path("tiny-cls");
    fc_train_model m;
    fc_error err;
    CHECK(fc_train_model_init(&m, dir, 1, &err) == 0);
    // Change the weights so that the check does not pass by reading the fixture back.
    for (size_t i = 0; i < m.params.count; i++) m.params.values[i] *= 1.0f + 0.001f * (float)(i % 7);
    cJSON *ref = load_reference("reference.json");
    fixture_batch fb;
    fixture_batch_load(&fb, ref, &m);
    fc_trainer tr;
    fc_trainer_init(&tr, &m, 0.5, 0.5, -1);
    float before[64 * 3], after[64 * 3];
    CHECK(fc_trainer_logits(&tr, fb.ids, fb.offsets, fb.n, before, &err) == 0);
    char *tok = tokenizer_dir(), *saved = fc_path_join(tmp, "saved");
    CHECK(fc_checkpoint_save(saved, &m, tok, NULL, &err) == 0);
    // Saving again over an existing folder replaces it.
    CHECK(fc_checkpoint_save(saved, &m, tok, NULL, &err) == 0);
    fc_model *model = NULL;
    int ok = fc_model_load(saved, &model, &err) == 0;
    if (!ok) fprintf(stderr, "load: %s\n", err.message);
    CHECK(ok);
    if (ok) {
        CHECK(fc_model_forward(model, fb.ids, fb.offsets, fb.n, after, &err) == 0);
        CHECK(memcmp(before, after, (size_t)fb.n * 3 * sizeof(float)) == 0);
        for (int i = 0; i < 3; i++)
            CHECK(strcmp(fc_model_label_name(model, i), m.labels.names[i]) == 0);
    }
    // transformers validates types: numbers keep their spelling ("initializer_cutoff_factor":
    // 2.0 stays a float) and the architecture is the classifier.
    char *config_path = fc_path_join(saved, "config.json"), *text = NULL;
    size_t size;
    CHECK(read_file_bytes(config_path, &text, &size) == 0);
    CHECK(text && strstr(text, "\"initializer_cutoff_factor\":\t2.0") != NULL);
    CHECK(text && strstr(text, "ModernBertForSequenceClassification") != NULL);
    CHECK(text && strstr(text, "\"dtype\":\t\"float32\"") != NULL);
    free(text);
    free(config_path);
    fc_model_free(model);
    fc_trainer_free(&tr);
    fixture_batch_free(&fb);
    cJSON_Delete(ref);
    fc_train_model_free(&m);
    free(saved);
    free(tok);
    free(dir);
}

static double sample_std(const float *x, size_t n) {
    double sum = 0, sq = 0;
    for (size_t i = 0; i < n; i++) sum += x[i], sq += (double)x[i] * x[i];
    double mean = sum / n;
    return sqrt(sq / n - mean * mean);
}

static int within(const float *x, size_t n, double bound) {
    for (size_t i = 0; i < n; i++)
        if (!(fabs(x[i]) <= bound)) return 0;
    return 1;
}

// Random init from a config.json follows transformers' ModernBERT _init_weights.
static void test_random_init(const char *tmp) {
    char *src = fixture_path("tiny-mean/config.json"), *text = NULL;
    size_t size;
    CHECK(read_file_bytes(src, &text, &size) == 0);
    char *path = fc_path_join(tmp, "config.json");
    FILE *f = fopen(path, "w");
    if (f && text) {
        fputs(text, f);
        fclose(f);
    }
    fc_train_model a, b, c;
    fc_error err;
    CHECK(fc_train_model_init(&a, path, 5, &err) == 0);
    CHECK(fc_train_model_init(&b, path, 5, &err) == 0);
    CHECK(fc_train_model_init(&c, path, 6, &err) == 0);
    CHECK(a.kind == FC_INIT_RANDOM);
    CHECK(memcmp(a.params.values, b.params.values, a.params.count * sizeof(float)) == 0);
    CHECK(memcmp(a.params.values, c.params.values, a.params.count * sizeof(float)) != 0);
    const fc_modernbert_config *cfg = &a.params.config;
    double range = 0.02, cutoff = 2.0; // the fixture config's initializer_range and cutoff
    double out_std = range / sqrt(2.0 * cfg->num_layers), cls_std = 1.0 / sqrt(cfg->hidden_size);
    const fc_param_tensor *emb = fc_modernbert_params_find(&a.params, "model.embeddings.tok_embeddings.weight");
    const fc_param_tensor *wo = fc_modernbert_params_find(&a.params, "model.layers.1.attn.Wo.weight");
    const fc_param_tensor *cls = fc_modernbert_params_find(&a.params, "classifier.weight");
    const fc_param_tensor *norm = fc_modernbert_params_find(&a.params, "model.final_norm.weight");
    const fc_param_tensor *bias = fc_modernbert_params_find(&a.params, "classifier.bias");
    const float *v = a.params.values;
    // A normal truncated at ±2σ has standard deviation 0.880σ.
    CHECK_CLOSE(sample_std(v + emb->offset, emb->count) / (0.880 * range), 1.0, 0.02);
    CHECK(within(v + emb->offset, emb->count, cutoff * range));
    CHECK(within(v + wo->offset, wo->count, cutoff * out_std));
    CHECK(within(v + cls->offset, cls->count, cutoff * cls_std));
    CHECK(sample_std(v + cls->offset, cls->count) > 0.3 * cls_std);
    CHECK(v[norm->offset] == 1.0f && v[norm->offset + norm->count - 1] == 1.0f);
    CHECK(v[bias->offset] == 0.0f);
    fc_train_model_free(&a);
    fc_train_model_free(&b);
    fc_train_model_free(&c);
    free(path);
    free(text);
    free(src);
}

// A ModernBertForMaskedLM checkpoint: everything but the classifier comes from the file; the
// classifier is fresh (std hidden_size^-1/2, zero bias) and the labels canonical.
static void test_masked_lm_init(const char *tmp) {
    char *src = fixture_path("tiny-mean");
    fc_train_model cls;
    fc_error err;
    CHECK(fc_train_model_init(&cls, src, 1, &err) == 0);
    char *dir = fc_path_join(tmp, "mlm");
    mkdir(dir, 0755);
    // config: the MLM architecture, no labels.
    cJSON *config = fc_checkpoint_config(&cls);
    cJSON_DeleteItemFromObject(config, "id2label");
    cJSON_DeleteItemFromObject(config, "label2id");
    cJSON_DeleteItemFromObject(config, "architectures");
    const char *arch = "ModernBertForMaskedLM";
    cJSON_AddItemToObject(config, "architectures", cJSON_CreateStringArray(&arch, 1));
    char *config_path = fc_path_join(dir, "config.json"), *json = cJSON_Print(config);
    FILE *f = fopen(config_path, "w");
    if (f) {
        fputs(json, f);
        fclose(f);
    }
    // weights: all but classifier.*, plus the MLM decoder bias that a classifier ignores.
    fc_tensor_out *out = fc_calloc(cls.params.n_tensors + 1, sizeof *out);
    size_t n = 0;
    for (size_t i = 0; i < cls.params.n_tensors; i++) {
        const fc_param_tensor *t = &cls.params.tensors[i];
        if (strncmp(t->spec.name, "classifier.", 11) == 0) continue;
        out[n] = (fc_tensor_out){.name = t->spec.name, .dtype = FC_DTYPE_F32, .ndim = t->spec.ndim,
                                 .shape = {t->spec.shape[0], t->spec.shape[1]},
                                 .data = cls.params.values + t->offset};
        n++;
    }
    float *decoder_bias = fc_calloc((size_t)cls.params.config.vocab_size, sizeof(float));
    out[n++] = (fc_tensor_out){.name = "decoder.bias", .dtype = FC_DTYPE_F32, .ndim = 1,
                               .shape = {cls.params.config.vocab_size}, .data = decoder_bias};
    char *weights = fc_path_join(dir, "model.safetensors");
    CHECK(fc_safetensors_write(weights, out, n, &err) == 0);
    fc_train_model mlm;
    int ok = fc_train_model_init(&mlm, dir, 3, &err) == 0;
    if (!ok) fprintf(stderr, "mlm init: %s\n", err.message);
    CHECK(ok && mlm.kind == FC_INIT_MASKED_LM);
    if (ok) {
        for (int i = 0; i < 3; i++) CHECK(mlm.labels.canonical[i] == i);
        const fc_param_tensor *w = fc_modernbert_params_find(&mlm.params, "classifier.weight");
        const fc_param_tensor *b = fc_modernbert_params_find(&mlm.params, "classifier.bias");
        const fc_param_tensor *head = fc_modernbert_params_find(&mlm.params, "head.dense.weight");
        double std = 1.0 / sqrt(mlm.params.config.hidden_size);
        CHECK(within(mlm.params.values + w->offset, w->count, 2.0 * std));
        CHECK(sample_std(mlm.params.values + w->offset, w->count) > 0.3 * std);
        CHECK(mlm.params.values[b->offset] == 0.0f && mlm.params.values[b->offset + 2] == 0.0f);
        CHECK(memcmp(mlm.params.values + head->offset, cls.params.values + head->offset,
                     head->count * sizeof(float)) == 0);
        fc_train_model_free(&mlm);
    }
    free(weights);
    free(decoder_bias);
    free(out);
    free(json);
    free(config_path);
    cJSON_Delete(config);
    free(dir);
    fc_train_model_free(&cls);
    free(src);
}

// The CSV without the throughput column, which is the only thing a resumed run may change.
static char *csv_without_timing(const char *csv) {
    size_t len = strlen(csv);
    char *out = fc_malloc(len + 1), *w = out;
    int column = 0;
    for (const char *p = csv; *p; p++) {
        if (*p == '\n') column = -1;
        if (*p == ',' || *p == '\n') column++;
        if (column != 7 || *p == ',') *w++ = *p; // samples_per_s is column 7
    }
    *w = '\0';
    return out;
}

// A run resumed from checkpoint-2 ends exactly where the uninterrupted run ends: the same
// bytes of model.safetensors and the same loss curve. Gradient accumulation over 2
// micro-batches and 3 batches an epoch make the checkpoint fall inside an epoch.
static void test_resume(const char *tmp) {
    char *init = fixture_path("tiny-mean"), *data = fixture_path("rows.jsonl");
    char *tok = tokenizer_dir();
    char *full = fc_path_join(tmp, "full"), *resumed = fc_path_join(tmp, "resumed");
    fc_train_eval_set eval = {"fixture", data};
    fc_train_options o = roundtrip_options(init, tok, data, full);
    o.steps = 5;
    o.grad_accum = 2;
    o.save_every = 2;
    o.eval_every = 3;
    o.warmup_steps = 2;
    o.schedule = FC_SCHEDULE_COSINE;
    o.evals = &eval;
    o.n_evals = 1;
    fc_train_summary a, b;
    fc_error err;
    int ok = fc_train_run(&o, &a, &err) == 0;
    if (!ok) fprintf(stderr, "full run: %s\n", err.message);
    CHECK(ok && a.steps == 5);
    // Continue from checkpoint-2 of the full run into another folder.
    char *checkpoint = fc_path_join(full, "checkpoint-2");
    o.out = resumed;
    o.resume = checkpoint;
    ok = fc_train_run(&o, &b, &err) == 0;
    if (!ok) fprintf(stderr, "resumed run: %s\n", err.message);
    CHECK(ok && b.steps == 5);
    CHECK(a.last_loss == b.last_loss);
    CHECK(a.eval_accuracy[0] == b.eval_accuracy[0]);
    static const char *const files[] = {"model/model.safetensors", "train_log.csv",
                                        "checkpoint-4/optimizer.safetensors"};
    for (size_t i = 0; i < 3; i++) {
        char *pa = fc_path_join(full, files[i]), *pb = fc_path_join(resumed, files[i]);
        char *da = NULL, *db = NULL;
        size_t na = 0, nb = 0;
        CHECK(read_file_bytes(pa, &da, &na) == 0 && read_file_bytes(pb, &db, &nb) == 0);
        if (da && db && i == 1) { // the log: equal but for the measured throughput
            char *ca = csv_without_timing(da), *cb = csv_without_timing(db);
            CHECK(strcmp(ca, cb) == 0);
            CHECK(strstr(ca, "\n5,") != NULL);
            free(ca);
            free(cb);
        } else if (da && db) {
            CHECK(na == nb && memcmp(da, db, na) == 0);
        }
        free(da);
        free(db);
        free(pa);
        free(pb);
    }
    // Resuming with options that change the trajectory is refused, naming the option.
    o.lr = 2e-2;
    CHECK(fc_train_run(&o, &b, &err) == -1 && strstr(err.message, "lr") != NULL);
    // A run folder resumes from its latest checkpoint (here the final one: nothing left to do).
    o.lr = 1e-2;
    o.resume = full;
    CHECK(fc_train_run(&o, &b, &err) == 0 && b.steps == 5);
    printf("  resume    from checkpoint-2 of 5 steps (grad-accum 2, cosine): final weights and "
           "loss curve bitwise equal\n");
    free(checkpoint);
    free(full);
    free(resumed);
    free(tok);
    free(init);
    free(data);
}

// The loop learns: 40 steps of CE alone on the nine fixture rows fit them.
static void test_loss_falls(const char *tmp) {
    char *init = fixture_path("tiny-mean"), *data = fixture_path("rows.jsonl");
    char *tok = tokenizer_dir(), *out = fc_path_join(tmp, "fit");
    fc_train_eval_set eval = {"fixture", data};
    fc_train_options o = roundtrip_options(init, tok, data, out);
    o.steps = 40;
    o.batch_size = 9;
    o.lr = 3e-2;
    o.warmup_steps = 0;
    o.alpha = 1.0;
    o.beta = 0.0;
    o.evals = &eval;
    o.n_evals = 1;
    fc_train_summary s;
    fc_error err;
    CHECK(fc_train_run(&o, &s, &err) == 0);
    char *csv_path = fc_path_join(out, "train_log.csv"), *csv = NULL;
    size_t size;
    double first = NAN;
    CHECK(read_file_bytes(csv_path, &csv, &size) == 0);
    const char *row1 = csv ? strchr(csv, '\n') : NULL;
    CHECK(row1 && sscanf(row1 + 1, "%*d,%*f,%lf", &first) == 1);
    CHECK(s.last_loss < 0.25 * first);
    CHECK(s.eval_accuracy[0] == 1.0);
    char *svg = fc_path_join(out, "train_plot.svg");
    CHECK(fc_file_exists(svg));
    printf("  fit       40 steps of CE on the 9 fixture rows: loss %.3f -> %.3f, accuracy %.2f\n",
           first, s.last_loss, s.eval_accuracy[0]);
    free(svg);
    free(csv);
    free(csv_path);
    free(out);
    free(tok);
    free(init);
    free(data);
}

void suite_train(void) {
    cJSON *ref = load_reference("reference.json");
    CHECK(ref != NULL);
    if (!ref) return;
    check_gradients("tiny-mean", ref);
    check_gradients("tiny-cls", ref);
    test_adamw(ref);
    test_schedules(ref);
    cJSON_Delete(ref);

    char tmp[] = "/tmp/finecat-train-XXXXXX";
    if (!mkdtemp(tmp)) {
        CHECK(0);
        return;
    }
    // Resume is checked with every thread (the run must be reproducible however the work is
    // split); the other end-to-end runs use one thread: at this model size the hand-offs
    // between threads cost more than the work, and a loaded machine makes that worse.
    test_resume(tmp);
    int threads = fc_get_threads();
    fc_set_threads(1);
    test_roundtrip(tmp);
    test_save_load(tmp);
    test_random_init(tmp);
    test_masked_lm_init(tmp);
    test_loss_falls(tmp);
    fc_set_threads(threads);
    remove_tree(tmp);
}
