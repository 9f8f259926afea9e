// BERT / RoBERTa training: loss, logits and every parameter's gradient against PyTorch with
// dropout 0 (tests/fixtures/bert_train, tools/fixtures/bert_train.py); with dropout on, the
// backward against finite differences of the same masked forward, the masks' statistics, and
// dropout staying off outside training.
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "finecat.h"
#include "harness.h"
#include "io/json_fields.h"
#include "io/safetensors.h"
#include "kernels/cpu/dropout.h"
#include "kernels/cpu/kernels.h"
#include "train/init.h"
#include "train/loss.h"
#include "train/trainer.h"
#include "util/alloc.h"
#include "util/file.h"

#define GRAD_REL_TOL 1e-4
#define LOSS_REL_TOL 1e-5

typedef struct fixture_batch {
    int n;
    int32_t *ids, *offsets, *types;
    int labels[64];
    float teacher[64 * 3];
    unsigned char has_teacher[64];
    fc_train_batch batch;
} fixture_batch;

static void batch_load(fixture_batch *fb, const cJSON *ref, const cJSON *mref,
                       const fc_train_model *m) {
    const cJSON *ids = cJSON_GetObjectItem(mref, "input_ids");
    const cJSON *types = cJSON_GetObjectItem(mref, "token_type_ids");
    const cJSON *labels = cJSON_GetObjectItem(ref, "labels_canonical");
    const cJSON *teacher = cJSON_GetObjectItem(ref, "teacher_logits_canonical");
    fb->n = cJSON_GetArraySize(ids);
    int total = 0;
    for (int s = 0; s < fb->n; s++) total += cJSON_GetArraySize(cJSON_GetArrayItem(ids, s));
    fb->ids = fc_malloc((size_t)total * sizeof *fb->ids);
    fb->types = fc_malloc((size_t)total * sizeof *fb->types);
    fb->offsets = fc_malloc((size_t)(fb->n + 1) * sizeof *fb->offsets);
    fb->offsets[0] = 0;
    for (int s = 0; s < fb->n; s++) {
        const cJSON *seq = cJSON_GetArrayItem(ids, s), *tseq = cJSON_GetArrayItem(types, s);
        int len = cJSON_GetArraySize(seq);
        for (int i = 0; i < len; i++) {
            fb->ids[fb->offsets[s] + i] = (int32_t)cJSON_GetArrayItem(seq, i)->valueint;
            fb->types[fb->offsets[s] + i] = (int32_t)cJSON_GetArrayItem(tseq, i)->valueint;
        }
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

static void batch_free(fixture_batch *fb) {
    free(fb->ids);
    free(fb->types);
    free(fb->offsets);
}

static double max_abs(const float *x, size_t n) {
    double m = 0.0;
    for (size_t i = 0; i < n; i++)
        if (fabs(x[i]) > m) m = fabs(x[i]);
    return m;
}

// Worst difference of one tensor's gradient relative to the reference's largest entry, with a
// floor of 1e-2 (other tensors' gradients are 1e-2 to 10 here): the key biases' true gradient
// is 0 (softmax ignores a shift shared by all keys), so both sides hold rounding noise of
// order 1e-7 whose ratio means nothing.
static double tensor_grad_error(const fc_train_model *m, const fc_param_tensor *t,
                                const fc_safetensors *ref) {
    const float *got = m->set.grads + t->offset;
    float *want = fc_calloc(t->count, sizeof *want);
    fc_error err;
    int64_t H = t->spec.shape[1];
    if (strstr(t->spec.name, "word_embeddings")) {
        const fc_tensor *rows = fc_safetensors_find(ref, "word_embeddings.rows");
        if (!rows) {
            free(want);
            return INFINITY;
        }
        int64_t n_rows = rows->shape[0], shape[2] = {n_rows, H};
        float *values = fc_malloc((size_t)(n_rows * H) * sizeof *values);
        CHECK(fc_safetensors_read_f32(ref, "word_embeddings.values", 2, shape, values, &err) == 0);
        const int64_t *ids = rows->data;
        for (int64_t r = 0; r < n_rows; r++)
            memcpy(want + ids[r] * H, values + r * H, (size_t)H * sizeof *want);
        free(values);
    } else if (fc_safetensors_read_f32(ref, t->spec.name, t->spec.ndim, t->spec.shape, want,
                                       &err) != 0) {
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
    return worst / fmax(scale, 1e-2);
}

// The training loss of the batch under the trainer's current dropout seed (forward only).
static double loss_of(fc_trainer *tr, const fixture_batch *fb) {
    fc_bert_params *p = &tr->model->bert;
    float logits[64 * 3], dlogits[64 * 3];
    fc_error err;
    tr->bert_acts.training = 1;
    tr->bert_acts.seed = tr->dropout_seed;
    if (fc_bert_forward_acts(&p->config, &p->weights, 3, &tr->bert_acts, fb->ids, fb->types,
                             fb->offsets, fb->n, logits, &err) != 0)
        return NAN;
    fc_loss_parts parts;
    fc_distill_loss(logits, fb->labels, fb->teacher, fb->has_teacher, fb->n, 3, tr->alpha,
                    tr->beta, 1.0, dlogits, &parts);
    return parts.loss;
}

// Central differences on the largest-gradient entry of a few tensors, with dropout on: the
// masks are a function of the seed, so the loss is a smooth function of the weights and the
// backward must regenerate exactly the forward's masks to agree.
static void finite_differences(fc_trainer *tr, const fixture_batch *fb, const char *model) {
    fc_train_model *m = tr->model;
    double worst = 0.0;
    int checked = 0;
    for (size_t k = 0; k < m->set.n_tensors; k++) {
        const fc_param_tensor *t = &m->set.tensors[k];
        if (t->spec.role != FC_TENSOR_MATRIX && t->spec.role != FC_TENSOR_NORM &&
            !strstr(t->spec.name, "embeddings"))
            continue;
        size_t best = 0;
        for (size_t i = 1; i < t->count; i++)
            if (fabsf(m->set.grads[t->offset + i]) > fabsf(m->set.grads[t->offset + best])) best = i;
        double analytic = m->set.grads[t->offset + best];
        if (fabs(analytic) < 1e-4) continue;
        float *x = m->set.values + t->offset + best, saved = *x;
        const float h = 1e-2f;
        *x = saved + h;
        double up = loss_of(tr, fb);
        *x = saved - h;
        double down = loss_of(tr, fb);
        *x = saved;
        double numeric = (up - down) / (2.0 * h);
        double rel = fabs(numeric - analytic) / fmax(fabs(analytic), 1e-3);
        if (rel > 3e-2) fprintf(stderr, "  %s: %s numeric %.6g analytic %.6g\n", model, t->spec.name, numeric, analytic);
        CHECK(rel <= 3e-2);
        if (rel > worst) worst = rel;
        checked++;
    }
    CHECK(checked >= 10);
    printf("  %-13s dropout 0.1: %d tensors, finite differences vs analytic worst rel %.2e\n",
           model, checked, worst);
}

static void check_model(const char *model, const cJSON *ref) {
    const cJSON *mref = cJSON_GetObjectItem(cJSON_GetObjectItem(ref, "models"), model);
    char dir[512];
    snprintf(dir, sizeof dir, "%s/bert_train/%s", fc_test_fixtures_dir(), model);
    fc_train_model m;
    fc_error err;
    int ok = fc_train_model_init(&m, dir, 1, &err) == 0;
    if (!ok) fprintf(stderr, "%s: %s\n", model, err.message);
    CHECK(ok && m.arch == FC_TRAIN_BERT && m.kind == FC_INIT_CLASSIFIER);
    if (!ok) return;
    fixture_batch fb;
    batch_load(&fb, ref, mref, &m);
    int roberta = m.bert.config.flavor == FC_BERT_FLAVOR_ROBERTA;
    fc_trainer tr;
    fc_trainer_init(&tr, &m, cJSON_GetObjectItem(ref, "alpha")->valuedouble,
                    cJSON_GetObjectItem(ref, "beta")->valuedouble, roberta ? -1 : 102);
    fc_loss_parts parts;
    memset(m.set.grads, 0, m.set.count * sizeof(float));
    CHECK(fc_trainer_accumulate(&tr, &fb.batch, 1.0, &parts, &err) == 0);
    // The derived token types are the tokenizer's.
    CHECK(memcmp(tr.types, fb.types, (size_t)fb.offsets[fb.n] * sizeof(int32_t)) == 0);

    double want_loss = cJSON_GetObjectItem(mref, "loss")->valuedouble;
    CHECK_CLOSE(parts.loss / want_loss, 1.0, LOSS_REL_TOL);
    CHECK_CLOSE(parts.ce / cJSON_GetObjectItem(mref, "ce")->valuedouble, 1.0, LOSS_REL_TOL);
    CHECK_CLOSE(parts.mse / cJSON_GetObjectItem(mref, "mse")->valuedouble, 1.0, LOSS_REL_TOL);
    const cJSON *logits = cJSON_GetObjectItem(mref, "logits");
    double worst_logit = 0.0;
    for (int s = 0; s < fb.n; s++)
        for (int j = 0; j < 3; j++) {
            double d = fabs(tr.logits[s * 3 + j] -
                            cJSON_GetArrayItem(cJSON_GetArrayItem(logits, s), j)->valuedouble);
            if (!(d <= worst_logit)) worst_logit = d;
        }
    CHECK_CLOSE(worst_logit, 0.0, 1e-4);

    char *grads_path = fc_path_join(dir, "grads.safetensors");
    fc_safetensors *grads = NULL;
    CHECK(fc_safetensors_open_file(grads_path, &grads, &err) == 0);
    double worst = 0.0;
    const char *worst_name = "";
    for (size_t i = 0; grads && i < m.set.n_tensors; i++) {
        const fc_param_tensor *t = &m.set.tensors[i];
        double e = tensor_grad_error(&m, t, grads);
        if (!(e <= GRAD_REL_TOL))
            fprintf(stderr, "  %s: %s gradient rel error %.3g\n", model, t->spec.name, e);
        CHECK(e <= GRAD_REL_TOL);
        if (!(e <= worst)) {
            worst = e;
            worst_name = t->spec.name;
        }
    }
    // Every reference gradient has a C tensor (the word table is stored as rows + values).
    CHECK(grads && fc_safetensors_count(grads) == m.set.n_tensors + 1);
    CHECK((int)m.set.n_tensors == cJSON_GetObjectItem(mref, "n_params")->valueint);
    printf("  %-13s loss %.6f (ref %.6f), %zu gradients, worst rel error %.2e (%s), logits %.1e\n",
           model, parts.loss, want_loss, m.set.n_tensors, worst, worst_name, worst_logit);
    fc_safetensors_close(grads);
    free(grads_path);

    // Dropout on, as BERT configs train (0.1): finite differences through the same masks.
    m.bert.config.hidden_dropout = m.bert.config.attention_dropout = 0.1f;
    m.bert.config.classifier_dropout = 0.1f;
    tr.dropout_seed = 12345;
    memset(m.set.grads, 0, m.set.count * sizeof(float));
    CHECK(fc_trainer_accumulate(&tr, &fb.batch, 1.0, &parts, &err) == 0);
    CHECK(fabs(parts.loss - want_loss) > 1e-4); // the masks changed the loss
    finite_differences(&tr, &fb, model);

    // Evaluation never drops: two seeds, the same logits, equal to the dropout-free ones.
    float a[64 * 3], b[64 * 3];
    tr.dropout_seed = 1;
    CHECK(fc_trainer_logits(&tr, fb.ids, fb.offsets, fb.n, a, &err) == 0);
    tr.dropout_seed = 2;
    CHECK(fc_trainer_logits(&tr, fb.ids, fb.offsets, fb.n, b, &err) == 0);
    CHECK(memcmp(a, b, (size_t)fb.n * 3 * sizeof(float)) == 0);
    double eval_diff = 0.0;
    for (int s = 0; s < fb.n; s++)
        for (int j = 0; j < 3; j++) {
            double d = fabs(a[s * 3 + j] -
                            cJSON_GetArrayItem(cJSON_GetArrayItem(logits, s), j)->valuedouble);
            if (d > eval_diff) eval_diff = d;
        }
    CHECK_CLOSE(eval_diff, 0.0, 1e-4);

    fc_trainer_free(&tr);
    batch_free(&fb);
    fc_train_model_free(&m);
}

// The masks: a fraction p dropped, survivors scaled by 1 / (1 - p), a pure function of the
// seed, different between seeds and sites, and attention with p = 0 equal to the reference.
static void test_dropout_masks(void) {
    size_t n = 1000000;
    float *x = fc_malloc(n * sizeof *x), *y = fc_malloc(n * sizeof *y);
    for (size_t i = 0; i < n; i++) x[i] = y[i] = 1.0f;
    fc_dropout_forward(x, n, 0.1f, 42);
    fc_dropout_forward(y, n, 0.1f, 42);
    CHECK(memcmp(x, y, n * sizeof *x) == 0);
    size_t zeros = 0, scaled = 0;
    for (size_t i = 0; i < n; i++) {
        zeros += x[i] == 0.0f;
        scaled += x[i] == 1.0f / 0.9f;
    }
    double frac = (double)zeros / (double)n;
    // Binomial(1e6, 0.1): standard deviation 3e-4; 5 sigma.
    CHECK_CLOSE(frac, 0.1, 1.5e-3);
    CHECK(zeros + scaled == n);
    for (size_t i = 0; i < n; i++) y[i] = 1.0f;
    fc_dropout_forward(y, n, 0.1f, 43);
    size_t same = 0;
    for (size_t i = 0; i < n; i++) same += (x[i] == 0.0f) == (y[i] == 0.0f);
    // Independent masks agree on 0.9² + 0.1² = 82% of elements.
    CHECK_CLOSE((double)same / (double)n, 0.82, 3e-3);
    CHECK(fc_dropout_site_seed(7, 0, 1) != fc_dropout_site_seed(7, 0, 2));
    CHECK(fc_dropout_site_seed(7, 0, 1) != fc_dropout_site_seed(7, 1, 1));
    for (size_t i = 0; i < n; i++) x[i] = 1.0f;
    fc_dropout_forward(x, n, 0.0f, 42);
    CHECK(x[0] == 1.0f && x[n - 1] == 1.0f);
    free(x);
    free(y);

    // Attention: p = 0 is the reference kernel; p = 0.5 drops about half the probability mass.
    int heads = 2, d = 4, H = heads * d, T = 37;
    int32_t offsets[3] = {0, 20, 37};
    float *qkv = fc_malloc((size_t)T * 3 * H * sizeof *qkv);
    for (int i = 0; i < T * 3 * H; i++) qkv[i] = sinf(0.37f * (float)i);
    float *ref = fc_malloc((size_t)T * H * sizeof *ref), *got = fc_malloc((size_t)T * H * sizeof *got);
    size_t per_thread = fc_attention_dropout_scratch_floats(20, d);
    float *scratch = fc_malloc(64 * per_thread * sizeof *scratch);
    fc_attention_forward(ref, qkv, offsets, 2, heads, d, -1, scratch, 64);
    fc_attention_dropout_forward(got, qkv, offsets, 2, heads, d, 0.0f, 9, scratch, per_thread);
    double worst = 0.0;
    for (int i = 0; i < T * H; i++)
        if (fabs(ref[i] - got[i]) > worst) worst = fabs(ref[i] - got[i]);
    CHECK_CLOSE(worst, 0.0, 1e-6);
    fc_attention_dropout_forward(got, qkv, offsets, 2, heads, d, 0.5f, 9, scratch, per_thread);
    worst = 0.0;
    for (int i = 0; i < T * H; i++)
        if (fabs(ref[i] - got[i]) > worst) worst = fabs(ref[i] - got[i]);
    CHECK(worst > 1e-3);
    free(qkv);
    free(ref);
    free(got);
    free(scratch);
}

void suite_bert_train(void) {
    char *path = fc_path_join(fc_test_fixtures_dir(), "bert_train/reference.json");
    cJSON *ref = NULL;
    fc_error err;
    CHECK(fc_json_load_file(path, &ref, &err) == 0);
    free(path);
    if (ref) {
        const cJSON *model;
        cJSON_ArrayForEach(model, cJSON_GetObjectItem(ref, "models")) check_model(model->string, ref);
        CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(ref, "models")) >= 1);
    }
    test_dropout_masks();
    cJSON_Delete(ref);
}
