// Tests of the hallucination check: the sentence splitter's rules, the check's probabilities
// against plain NLI on the same (window, sentence) pairs, context windows (sentence-aligned,
// overlapping, within the model's length), verdicts and thresholds, models with other label
// orders, errors, the JSON form, and `finecat check` as a user runs it.
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "finecat.h"
#include "harness.h"
#include "tasks/check.h"
#include "tasks/nli.h"
#include "tasks/result_json.h"
#include "util/file.h"

// The check and fc_nli_logits run the same pairs, possibly grouped into other forwards.
static const double same_pairs_tolerance = 1e-5;

// ---------------------------------------------------------------------------------------------
// Sentence splitter

typedef struct split_case {
    const char *text;
    const char *sentences[6]; // NULL-terminated
} split_case;

static const split_case split_cases[] = {
    {"The tower is in Paris. It was built in 1889.", {"The tower is in Paris.", "It was built in 1889."}},
    {"Dr. Smith arrived. He left.", {"Dr. Smith arrived.", "He left."}},
    {"It costs 3.5 dollars. Cheap!", {"It costs 3.5 dollars.", "Cheap!"}},
    {"The U.S. Army is big. Yes.", {"The U.S. Army is big.", "Yes."}},
    {"Use a tool, e.g. A hammer. And nails.", {"Use a tool, e.g. A hammer.", "And nails."}},
    {"Line one\nLine two", {"Line one", "Line two"}},
    {"He said \"Stop.\" Then he left.", {"He said \"Stop.\"", "Then he left."}},
    {"Wait... what? Really?! Yes.", {"Wait... what?", "Really?!", "Yes."}},
    {"J. K. Rowling wrote it. Done.", {"J. K. Rowling wrote it.", "Done."}},
    {"  \n\n  \t", {NULL}},
    {"", {NULL}},
    {"No terminator at all", {"No terminator at all"}},
    {"In 2005. 3 cats came.", {"In 2005.", "3 cats came."}},
    {"Born on Jan. 5 1990. The end.", {"Born on Jan. 5 1990.", "The end."}},
    {"Is it? \xE2\x80\x98Yes,\xE2\x80\x99 she said.", {"Is it?", "\xE2\x80\x98Yes,\xE2\x80\x99 she said."}},
    {"A b.\r\nC d.", {"A b.", "C d."}},
    {"C'est fini. \xC3\x89" "coute.", {"C'est fini.", "\xC3\x89" "coute."}},
    {"Price is $5. it is cheap.", {"Price is $5. it is cheap."}},
    {"First (see Fig. 2) here. Next.", {"First (see Fig. 2) here.", "Next."}},
    {"  Leading and trailing.  ", {"Leading and trailing."}},
    // A dot inside the word marks an abbreviation (rule 3), whatever follows.
    {"See www.example.com. Then go.", {"See www.example.com. Then go."}},
};

static void test_split_sentences(void) {
    for (size_t c = 0; c < sizeof split_cases / sizeof split_cases[0]; c++) {
        const split_case *sc = &split_cases[c];
        fc_span *spans = NULL;
        size_t n = fc_split_sentences(sc->text, strlen(sc->text), &spans);
        size_t want = 0;
        while (want < 6 && sc->sentences[want]) want++;
        int ok = n == want;
        for (size_t i = 0; ok && i < n; i++) {
            size_t len = spans[i].end - spans[i].start;
            ok = strlen(sc->sentences[i]) == len &&
                 memcmp(sc->text + spans[i].start, sc->sentences[i], len) == 0;
        }
        if (!ok) {
            fprintf(stderr, "  split \"%s\": got %zu:", sc->text, n);
            for (size_t i = 0; i < n; i++)
                fprintf(stderr, " [%.*s]", (int)(spans[i].end - spans[i].start),
                        sc->text + spans[i].start);
            fprintf(stderr, "\n");
        }
        CHECK(ok);
        free(spans);
    }
}

// ---------------------------------------------------------------------------------------------
// Check against plain NLI

static fc_model *load_model(const char *dir) {
    fc_model *model = NULL;
    fc_error err;
    if (fc_model_load(dir, &model, &err) != 0) fprintf(stderr, "  %s: %s\n", dir, err.message);
    return model;
}

// Canonical probabilities of (premise, hypothesis) by fc_nli_logits without truncation.
static void nli_canonical(fc_model *model, const char *premise, const char *hypothesis,
                          float out[FC_LABEL_COUNT]) {
    int n = fc_model_num_labels(model);
    float logits[16], probs[16];
    fc_nli_options options = fc_nli_default_options();
    options.truncation = FC_TRUNCATE_NONE;
    fc_pair pair = {premise, hypothesis};
    fc_error err;
    CHECK(fc_nli_logits(model, &pair, 1, &options, logits, &err) == 0);
    fc_softmax(logits, n, probs);
    for (int c = 0; c < FC_LABEL_COUNT; c++) out[c] = 0.0f;
    for (int k = 0; k < n; k++) out[fc_model_canonical_label(model, k)] += probs[k];
}

static char *span_text(const char *text, fc_span span) {
    char *out = malloc(span.end - span.start + 1);
    memcpy(out, text + span.start, span.end - span.start);
    out[span.end - span.start] = '\0';
    return out;
}

static const char *short_context =
    "The Eiffel Tower is a wrought-iron lattice tower in Paris, France. It was completed in 1889 "
    "as the entrance arch to the World's Fair. Gustave Eiffel's company designed and built it.";
static const char *answer_text =
    "The Eiffel Tower is in Paris. It was completed in 1889!\nIt is made of wood. "
    "Dr. Eiffel's company built it, e.g. for the fair.";

// A context that fits is one window; each sentence's probabilities are those of plain NLI on
// (context, sentence), mapped to canonical labels by name.
static void test_short_context(fc_model *model, const char *name) {
    fc_check_result result;
    fc_error err;
    int ran = fc_check(model, short_context, answer_text, NULL, &result, &err) == 0;
    if (!ran) fprintf(stderr, "  %s: %s\n", name, err.message);
    CHECK(ran);
    if (!ran) return;
    CHECK(result.n_windows == 1);
    CHECK(result.windows[0].start == 0 && result.windows[0].end == strlen(short_context));
    CHECK(result.n_sentences == 4);
    for (size_t s = 0; s < result.n_sentences; s++) {
        const fc_check_sentence *sentence = &result.sentences[s];
        char *hypothesis = span_text(answer_text, sentence->span);
        float want[FC_LABEL_COUNT];
        nli_canonical(model, short_context, hypothesis, want);
        for (int c = 0; c < FC_LABEL_COUNT; c++)
            CHECK_CLOSE(sentence->probs[c], want[c], same_pairs_tolerance);
        CHECK_CLOSE(sentence->max_contradiction, want[FC_LABEL_CONTRADICTION], same_pairs_tolerance);
        CHECK(sentence->window == 0 && sentence->contradiction_window == 0);
        CHECK_CLOSE(sentence->probs[0] + sentence->probs[1] + sentence->probs[2], 1.0, 1e-5);
        free(hypothesis);
    }
    fc_check_result_free(&result);
}

// The verdict rule at its edges: a threshold of 0 always holds, one above 1 never does.
static void test_thresholds(fc_model *model) {
    fc_check_options options = fc_check_default_options();
    CHECK(options.support_threshold == 0.5f && options.contradiction_threshold == 0.5f);
    fc_check_result result;
    fc_error err;
    const struct {
        float support, contradiction;
        fc_verdict verdict;
    } cases[] = {
        {0.0f, 0.0f, FC_VERDICT_SUPPORTED},     // support wins over contradiction
        {2.0f, 0.0f, FC_VERDICT_CONTRADICTED},
        {2.0f, 2.0f, FC_VERDICT_UNSUPPORTED},
    };
    for (size_t c = 0; c < 3; c++) {
        options.support_threshold = cases[c].support;
        options.contradiction_threshold = cases[c].contradiction;
        CHECK(fc_check(model, short_context, answer_text, &options, &result, &err) == 0);
        for (size_t s = 0; s < result.n_sentences; s++)
            CHECK(result.sentences[s].verdict == cases[c].verdict);
        fc_check_result_free(&result);
    }
    // Between: each verdict follows the rule from the reported numbers.
    options = fc_check_default_options();
    options.support_threshold = 0.3f;
    options.contradiction_threshold = 0.1f;
    CHECK(fc_check(model, short_context, answer_text, &options, &result, &err) == 0);
    for (size_t s = 0; s < result.n_sentences; s++) {
        const fc_check_sentence *x = &result.sentences[s];
        fc_verdict want = x->probs[FC_LABEL_ENTAILMENT] >= 0.3f ? FC_VERDICT_SUPPORTED
                          : x->max_contradiction >= 0.1f        ? FC_VERDICT_CONTRADICTED
                                                                : FC_VERDICT_UNSUPPORTED;
        CHECK(x->verdict == want);
    }
    fc_check_result_free(&result);
    options.support_threshold = NAN;
    CHECK(fc_check(model, short_context, answer_text, &options, &result, &err) == -1);
    CHECK(strstr(err.message, "support threshold") != NULL);
    CHECK(strcmp(fc_verdict_name(FC_VERDICT_CONTRADICTED), "contradicted") == 0);
}

// A 48-token model: the context is cut into windows of whole sentences that overlap, every
// pair fits, every context sentence is in some window, and each sentence's numbers are plain
// NLI's on (window text, sentence) for its best window, with the max over all windows.
static void test_windows(fc_model *model) {
    const char *context =
        "Marie Curie was born in Warsaw in 1867. She moved to Paris to study physics. "
        "She met Pierre Curie there. They married in 1895. Together they discovered polonium. "
        "They also discovered radium. She won the Nobel Prize in Physics in 1903. "
        "She won a second Nobel Prize, in Chemistry, in 1911. She died in 1934.";
    const char *answer = "Marie Curie was born in Warsaw. She won two Nobel Prizes.";
    fc_check_plan plan;
    fc_error err;
    int built = fc_check_plan_build(model, context, answer, &plan, &err) == 0;
    if (!built) fprintf(stderr, "  windows: %s\n", err.message);
    CHECK(built);
    if (!built) return;
    CHECK(plan.n_windows >= 3);
    CHECK(plan.n_sentences == 2 && plan.n_pairs == 2 * plan.n_windows);
    for (size_t i = 0; i < plan.n_pairs; i++) CHECK(plan.pairs[i].len <= 48);
    fc_span *sentences;
    size_t n_sentences = fc_split_sentences(context, strlen(context), &sentences);
    int overlaps = 0;
    for (size_t w = 0; w < plan.n_windows; w++) {
        int starts_at_sentence = 0, ends_at_sentence = 0;
        for (size_t s = 0; s < n_sentences; s++) {
            starts_at_sentence |= plan.windows[w].start == sentences[s].start;
            ends_at_sentence |= plan.windows[w].end == sentences[s].end;
        }
        CHECK(starts_at_sentence && ends_at_sentence);
        if (w > 0) {
            CHECK(plan.windows[w].start > plan.windows[w - 1].start); // progress
            overlaps += plan.windows[w].start < plan.windows[w - 1].end;
        }
    }
    CHECK(overlaps > 0);
    for (size_t s = 0; s < n_sentences; s++) {
        int covered = 0;
        for (size_t w = 0; w < plan.n_windows; w++)
            covered |= plan.windows[w].start <= sentences[s].start &&
                       sentences[s].end <= plan.windows[w].end;
        CHECK(covered);
    }
    free(sentences);
    fc_check_plan_free(&plan);

    fc_check_result result;
    CHECK(fc_check(model, context, answer, NULL, &result, &err) == 0);
    for (size_t s = 0; s < result.n_sentences; s++) {
        const fc_check_sentence *x = &result.sentences[s];
        char *hypothesis = span_text(answer, x->span);
        float best_entailment = -1.0f, max_contradiction = -1.0f, best[FC_LABEL_COUNT] = {0};
        for (size_t w = 0; w < result.n_windows; w++) {
            char *premise = span_text(context, result.windows[w]);
            float probs[FC_LABEL_COUNT];
            nli_canonical(model, premise, hypothesis, probs);
            if (probs[FC_LABEL_ENTAILMENT] > best_entailment) {
                best_entailment = probs[FC_LABEL_ENTAILMENT];
                memcpy(best, probs, sizeof best);
            }
            if (probs[FC_LABEL_CONTRADICTION] > max_contradiction)
                max_contradiction = probs[FC_LABEL_CONTRADICTION];
            free(premise);
        }
        for (int c = 0; c < FC_LABEL_COUNT; c++) CHECK_CLOSE(x->probs[c], best[c], same_pairs_tolerance);
        CHECK_CLOSE(x->max_contradiction, max_contradiction, same_pairs_tolerance);
        free(hypothesis);
    }
    fc_check_result_free(&result);

    // One sentence longer than a window is cut by tokens: several windows over the same span.
    const char *long_sentence =
        "Marie Curie, who was born in Warsaw and moved to Paris to study physics and mathematics "
        "at the Sorbonne, where she met Pierre Curie, with whom she discovered polonium and "
        "radium, won the Nobel Prize twice, in physics and in chemistry";
    CHECK(fc_check_plan_build(model, long_sentence, "She won twice.", &plan, &err) == 0);
    CHECK(plan.n_windows >= 2);
    for (size_t w = 0; w < plan.n_windows; w++) {
        CHECK(plan.windows[w].start == 0 && plan.windows[w].end == strlen(long_sentence));
        CHECK(plan.pairs[w].len <= 48);
    }
    fc_check_plan_free(&plan);

    // A long answer sentence is cut so that a quarter of the window stays for the context.
    CHECK(fc_check_plan_build(model, context, long_sentence, &plan, &err) == 0);
    for (size_t i = 0; i < plan.n_pairs; i++) CHECK(plan.pairs[i].len <= 48);
    fc_check_plan_free(&plan);
}

// A model without NLI label names cannot be checked: a copy of a fixture with other names.
static void test_label_names_required(const char *fixture_dir) {
    char dir[] = "/tmp/finecat_check_XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    const char *files[] = {"model.safetensors", "tokenizer.json", "tokenizer_config.json",
                           "special_tokens_map.json"};
    char src[2200], dst[1100];
    char *cwd = getcwd(NULL, 0);
    for (size_t i = 0; i < 4; i++) {
        snprintf(src, sizeof src, "%s/%s/%s", fixture_dir[0] == '/' ? "" : cwd, fixture_dir, files[i]);
        snprintf(dst, sizeof dst, "%s/%s", dir, files[i]);
        CHECK(symlink(src, dst) == 0);
    }
    free(cwd);
    snprintf(src, sizeof src, "%s/config.json", fixture_dir);
    char *text;
    fc_error err;
    CHECK(fc_read_file(src, &text, NULL, &err) == 0);
    cJSON *config = cJSON_Parse(text);
    free(text);
    cJSON *id2label = cJSON_CreateObject(), *label2id = cJSON_CreateObject();
    const char *names[] = {"yes", "no", "maybe"};
    for (int i = 0; i < 3; i++) {
        char key[16];
        snprintf(key, sizeof key, "%d", i);
        cJSON_AddStringToObject(id2label, key, names[i]);
        cJSON_AddNumberToObject(label2id, names[i], i);
    }
    cJSON_ReplaceItemInObject(config, "id2label", id2label);
    cJSON_ReplaceItemInObject(config, "label2id", label2id);
    char *printed = cJSON_Print(config);
    snprintf(dst, sizeof dst, "%s/config.json", dir);
    FILE *f = fopen(dst, "w");
    fputs(printed, f);
    fclose(f);
    free(printed);
    cJSON_Delete(config);

    fc_model *model = load_model(dir);
    CHECK(model != NULL);
    if (model) {
        fc_check_result result;
        CHECK(fc_check(model, "A context.", "An answer.", NULL, &result, &err) == -1);
        CHECK(strstr(err.message, "entailment, neutral and contradiction") != NULL);
        CHECK(fc_model_entailment_id(model) == -1);
        fc_model_free(model);
    }
    for (size_t i = 0; i < 4; i++) {
        snprintf(dst, sizeof dst, "%s/%s", dir, files[i]);
        unlink(dst);
    }
    snprintf(dst, sizeof dst, "%s/config.json", dir);
    unlink(dst);
    rmdir(dir);
}

static void test_errors_and_edges(fc_model *model) {
    fc_check_result result;
    fc_error err;
    CHECK(fc_check(model, short_context, "Fine. Bad \xC3(.", NULL, &result, &err) == -1);
    CHECK(strstr(err.message, "answer") != NULL && strstr(err.message, "UTF-8") != NULL);
    CHECK(fc_check(model, "Bad \xFF context.", "Fine.", NULL, &result, &err) == -1);
    CHECK(strstr(err.message, "context") != NULL);
    // No sentence in the answer: nothing to check, not an error.
    CHECK(fc_check(model, short_context, " \n ", NULL, &result, &err) == 0);
    CHECK(result.n_sentences == 0 && result.n_windows == 1);
    fc_check_result_free(&result);
    // A context of nothing but spaces, too long for one window, has no sentence to cut at.
    static char spaces[40000];
    memset(spaces, ' ', sizeof spaces - 1);
    spaces[sizeof spaces - 1] = '\0';
    CHECK(fc_check(model, spaces, "Something happened.", NULL, &result, &err) == 0);
    CHECK(result.n_sentences == 1 && result.n_windows >= 2);
    CHECK(result.sentences[0].window >= 0 && result.sentences[0].max_contradiction >= 0.0f);
    fc_check_result_free(&result);
    // An empty context is still a premise.
    CHECK(fc_check(model, "", "Something happened.", NULL, &result, &err) == 0);
    CHECK(result.n_sentences == 1 && result.n_windows == 1);
    fc_check_result_free(&result);
}

static void test_json(fc_model *model) {
    fc_check_result result;
    fc_error err;
    fc_check_options options = fc_check_default_options();
    CHECK(fc_check(model, short_context, answer_text, &options, &result, &err) == 0);
    fc_textbuf out = {0};
    fc_check_result_json(&out, answer_text, &result, &options);
    cJSON *json = cJSON_Parse(fc_jsonbuf_cstr(&out));
    CHECK(json != NULL);
    const cJSON *sentences = cJSON_GetObjectItem(json, "sentences");
    CHECK(cJSON_GetArraySize(sentences) == 4);
    const cJSON *second = cJSON_GetArrayItem(sentences, 1);
    CHECK(strcmp(cJSON_GetObjectItem(second, "text")->valuestring, "It was completed in 1889!") == 0);
    CHECK(cJSON_GetObjectItem(second, "start")->valueint == 30);
    CHECK_CLOSE(cJSON_GetObjectItem(second, "entailment")->valuedouble,
                result.sentences[1].probs[FC_LABEL_ENTAILMENT], 1e-7);
    const cJSON *summary = cJSON_GetObjectItem(json, "summary");
    CHECK(cJSON_GetObjectItem(summary, "supported")->valueint +
              cJSON_GetObjectItem(summary, "unsupported")->valueint +
              cJSON_GetObjectItem(summary, "contradicted")->valueint == 4);
    CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(json, "windows")) == 1);
    cJSON_Delete(json);

    // fc_check_json (the bindings' entry point) gives the same text, NULL options meaning the
    // defaults; on failure no text and the error of fc_check.
    char *text = NULL;
    CHECK(fc_check_json(model, short_context, answer_text, NULL, &text, &err) == 0);
    CHECK(text != NULL && strcmp(text, out.data) == 0);
    fc_free(text);
    options.support_threshold = 0.99f;
    CHECK(fc_check_json(model, short_context, answer_text, &options, &text, &err) == 0);
    CHECK(text != NULL && strstr(text, "\"support_threshold\":0.99,") != NULL);
    fc_free(text);
    text = (char *)"not touched";
    CHECK(fc_check_json(model, short_context, "Bad \xC3(.", NULL, &text, &err) == -1);
    CHECK(text == NULL && strstr(err.message, "UTF-8") != NULL);
    fc_textbuf_free(&out);
    fc_check_result_free(&result);
}

// ---------------------------------------------------------------------------------------------
// The program

static const char *finecat_bin(void) {
    const char *env = getenv("FINECAT_BIN");
    return env ? env : "build/finecat";
}

static char *run_capture(const char *command, int *status) {
    FILE *p = popen(command, "r");
    if (!p) return NULL;
    size_t len = 0, cap = 4096;
    char *out = malloc(cap);
    size_t n;
    while ((n = fread(out + len, 1, cap - len - 1, p)) > 0) {
        len += n;
        if (len + 1 == cap) out = realloc(out, cap *= 2);
    }
    out[len] = '\0';
    int rc = pclose(p);
    *status = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
    return out;
}

static void write_text(const char *path, const char *text) {
    FILE *f = fopen(path, "w");
    if (!f) return;
    fputs(text, f);
    fclose(f);
}

static void test_cli(const char *model_dir, fc_model *model) {
    char dir[] = "/tmp/finecat_check_cli_XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char context_path[128], answer_path[128], command[2048];
    snprintf(context_path, sizeof context_path, "%s/context.txt", dir);
    snprintf(answer_path, sizeof answer_path, "%s/answer.txt", dir);
    write_text(context_path, short_context);
    write_text(answer_path, answer_text);
    int status;

    // Not a terminal: JSON, the same numbers as the library.
    snprintf(command, sizeof command, "%s check --model %s --context %s --answer %s "
             "--support-threshold 0.25 2>&1", finecat_bin(), model_dir, context_path, answer_path);
    char *out = run_capture(command, &status);
    CHECK(status == 0);
    cJSON *json = out ? cJSON_Parse(out) : NULL;
    CHECK(json != NULL);
    fc_check_options options = fc_check_default_options();
    options.support_threshold = 0.25f;
    fc_check_result result;
    fc_error err;
    CHECK(fc_check(model, short_context, answer_text, &options, &result, &err) == 0);
    const cJSON *sentences = cJSON_GetObjectItem(json, "sentences");
    CHECK((size_t)cJSON_GetArraySize(sentences) == result.n_sentences);
    for (size_t s = 0; s < result.n_sentences; s++) {
        const cJSON *item = cJSON_GetArrayItem(sentences, (int)s);
        CHECK(strcmp(cJSON_GetObjectItem(item, "verdict")->valuestring,
                     fc_verdict_name(result.sentences[s].verdict)) == 0);
        CHECK_CLOSE(cJSON_GetObjectItem(item, "contradiction")->valuedouble,
                    result.sentences[s].probs[FC_LABEL_CONTRADICTION], 1e-7);
    }
    CHECK_CLOSE(cJSON_GetObjectItem(json, "support_threshold")->valuedouble, 0.25, 1e-9);
    fc_check_result_free(&result);
    cJSON_Delete(json);
    free(out);

    // Standard input as the answer; bad usage; a missing file.
    snprintf(command, sizeof command, "printf 'It is in Paris.' | %s check --model %s --context %s "
             "--answer - --json", finecat_bin(), model_dir, context_path);
    out = run_capture(command, &status);
    CHECK(status == 0 && out && strstr(out, "\"text\":\"It is in Paris.\"") != NULL);
    free(out);
    snprintf(command, sizeof command, "%s check --model %s --context %s --answer %s "
             "--support-threshold abc 2>&1", finecat_bin(), model_dir, context_path, answer_path);
    out = run_capture(command, &status);
    CHECK(status == 2 && out && strstr(out, "not a number") != NULL);
    free(out);
    snprintf(command, sizeof command, "%s check --model %s --context %s --answer %s "
             "--contradiction-threshold 1e300 2>&1", finecat_bin(), model_dir, context_path,
             answer_path);
    out = run_capture(command, &status);
    CHECK(status == 2 && out && strstr(out, "overflows a float") != NULL);
    free(out);
    snprintf(command, sizeof command, "%s check --model %s --context %s/none.txt --answer %s 2>&1",
             finecat_bin(), model_dir, dir, answer_path);
    out = run_capture(command, &status);
    CHECK(status == 1 && out && strstr(out, "none.txt") != NULL);
    free(out);
    unlink(context_path);
    unlink(answer_path);
    rmdir(dir);
}

void suite_check(void) {
    test_split_sentences();
    char dir[1024];
    const char *names[] = {"tiny-mean", "tiny-cls", "tiny-bf16"};
    for (size_t i = 0; i < 3; i++) {
        snprintf(dir, sizeof dir, "%s/modernbert/%s", fc_test_fixtures_dir(), names[i]);
        fc_model *model = load_model(dir);
        CHECK(model != NULL);
        if (!model) continue;
        test_short_context(model, names[i]);
        if (i == 0) {
            test_thresholds(model);
            test_errors_and_edges(model);
            test_json(model);
            test_cli(dir, model);
            test_label_names_required(dir);
        }
        fc_model_free(model);
    }
    snprintf(dir, sizeof dir, "%s/zeroshot/tiny-mean-max48", fc_test_fixtures_dir());
    fc_model *small = load_model(dir);
    CHECK(small != NULL && fc_model_max_length(small) == 48);
    if (small) {
        test_windows(small);
        fc_model_free(small);
    }
}
