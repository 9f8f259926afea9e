// Tests of the finecat program, run as a user runs it: the built binary (FINECAT_BIN, default
// build/finecat) with its exit status, standard output and standard error. Also the line
// reader that its JSONL input goes through.
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "finecat.h"
#include "harness.h"
#include "util/file.h"
#include "util/lines.h"

static char temp_dir[64];

// ---------------------------------------------------------------------------------------------
// Line reader

static void write_file(const char *path, const char *data, size_t size) {
    FILE *f = fopen(path, "wb");
    if (!f) return;
    fwrite(data, 1, size, f);
    fclose(f);
}

static void test_line_reader(void) {
    char path[128];
    snprintf(path, sizeof path, "%s/lines.txt", temp_dir);
    // A BOM, CRLF, a blank line, a line far longer than any stdio buffer, a NUL byte and a
    // last line without its newline.
    size_t long_len = 300000;
    size_t size = 0, cap = long_len + 100;
    char *data = malloc(cap);
    memcpy(data + size, "\xEF\xBB\xBF" "first\r\n", 10);
    size += 10;
    memcpy(data + size, "\n", 1);
    size += 1;
    memset(data + size, 'x', long_len);
    size += long_len;
    memcpy(data + size, "\nnul\0byte\nlast", 14);
    size += 14;
    write_file(path, data, size);
    free(data);

    FILE *f = fopen(path, "rb");
    CHECK(f != NULL);
    if (!f) return;
    fc_line_reader reader;
    fc_line_reader_init(&reader, f, path);
    fc_error err;
    char *line;
    size_t len;
    CHECK(fc_line_reader_next(&reader, &line, &len, &err) == 1);
    CHECK(len == 5 && strcmp(line, "first") == 0 && reader.line_number == 1);
    CHECK(fc_line_reader_next(&reader, &line, &len, &err) == 1);
    CHECK(len == 0 && line[0] == '\0' && reader.line_number == 2);
    CHECK(fc_line_reader_next(&reader, &line, &len, &err) == 1);
    CHECK(len == long_len && line[0] == 'x' && line[long_len - 1] == 'x' && line[long_len] == 0);
    CHECK(reader.line_number == 3);
    CHECK(fc_line_reader_next(&reader, &line, &len, &err) == 1);
    CHECK(len == 8 && memcmp(line, "nul\0byte", 8) == 0 && strlen(line) == 3);
    CHECK(fc_line_reader_next(&reader, &line, &len, &err) == 1);
    CHECK(len == 4 && strcmp(line, "last") == 0 && reader.line_number == 5);
    CHECK(fc_line_reader_next(&reader, &line, &len, &err) == 0);
    CHECK(fc_line_reader_next(&reader, &line, &len, &err) == 0);
    fc_line_reader_free(&reader);
    fclose(f);

    // An empty input has no lines; a lone newline has one empty line.
    write_file(path, "", 0);
    f = fopen(path, "rb");
    fc_line_reader_init(&reader, f, path);
    CHECK(fc_line_reader_next(&reader, &line, &len, &err) == 0);
    fc_line_reader_free(&reader);
    fclose(f);
    write_file(path, "\n", 1);
    f = fopen(path, "rb");
    fc_line_reader_init(&reader, f, path);
    CHECK(fc_line_reader_next(&reader, &line, &len, &err) == 1 && len == 0);
    CHECK(fc_line_reader_next(&reader, &line, &len, &err) == 0);
    fc_line_reader_free(&reader);
    fclose(f);
}

// ---------------------------------------------------------------------------------------------
// Running the program

typedef struct cli_result {
    int status; // exit status, or -1 when the program did not exit normally
    char *out;
    char *err;
} cli_result;

static const char *finecat_bin(void) {
    const char *env = getenv("FINECAT_BIN");
    return env ? env : "build/finecat";
}

static void cli_result_free(cli_result *result) {
    free(result->out);
    free(result->err);
}

static char *read_text(const char *path) {
    char *text = NULL;
    fc_error err;
    if (fc_read_file(path, &text, NULL, &err) != 0) {
        text = malloc(1);
        text[0] = '\0';
    }
    return text;
}

// Runs `finecat ARGS` (ARGS is shell text) with stdin_data (may be NULL: empty) on its input.
static cli_result run_cli_bytes(const char *args, const char *stdin_data, size_t stdin_size) {
    char in_path[128], out_path[128], err_path[128];
    snprintf(in_path, sizeof in_path, "%s/stdin", temp_dir);
    snprintf(out_path, sizeof out_path, "%s/stdout", temp_dir);
    snprintf(err_path, sizeof err_path, "%s/stderr", temp_dir);
    write_file(in_path, stdin_data ? stdin_data : "", stdin_data ? stdin_size : 0);
    size_t size = strlen(finecat_bin()) + strlen(args) + 3 * sizeof in_path + 32;
    char *command = malloc(size);
    snprintf(command, size, "%s %s <%s >%s 2>%s", finecat_bin(), args, in_path, out_path,
             err_path);
    int raw = system(command);
    free(command);
    cli_result result = {
        .status = raw != -1 && WIFEXITED(raw) ? WEXITSTATUS(raw) : -1,
        .out = read_text(out_path),
        .err = read_text(err_path),
    };
    return result;
}

static cli_result run_cli(const char *args, const char *stdin_text) {
    return run_cli_bytes(args, stdin_text, stdin_text ? strlen(stdin_text) : 0);
}

static int contains(const char *haystack, const char *needle) {
    return strstr(haystack, needle) != NULL;
}

static int starts_with(const char *text, const char *prefix) {
    return strncmp(text, prefix, strlen(prefix)) == 0;
}

// Standard error of a predict that went well: its progress lines and nothing else.
static int only_predict_progress(const char *err) {
    for (const char *line = err; *line;) {
        if (!starts_with(line, "predict: ")) return 0;
        const char *end = strchr(line, '\n');
        if (!end) return 0;
        line = end + 1;
    }
    return err[0] != '\0';
}

static size_t count_lines(const char *text) {
    size_t n = 0;
    for (; *text; text++) n += *text == '\n';
    return n;
}

// Wraps text in single quotes for the shell.
static void shell_quote(char *out, size_t size, const char *text) {
    size_t used = 0;
    out[used++] = '\'';
    for (; *text && used + 6 < size; text++) {
        if (*text == '\'') {
            memcpy(out + used, "'\\''", 4);
            used += 4;
        } else {
            out[used++] = *text;
        }
    }
    out[used++] = '\'';
    out[used] = '\0';
}

// ---------------------------------------------------------------------------------------------
// Help, usage errors, model errors: no model needed to pass

static const char *const command_names[] = {"nli", "predict", "tokenize"};

static void test_top_level(void) {
    char version_line[64];
    snprintf(version_line, sizeof version_line, "finecat %s\n", FINECAT_VERSION);
    cli_result r = run_cli("--help", NULL);
    CHECK(r.status == 0);
    CHECK(contains(r.out, "Usage: finecat COMMAND"));
    for (size_t i = 0; i < 3; i++) CHECK(contains(r.out, command_names[i]));
    CHECK(r.err[0] == '\0');
    cli_result_free(&r);

    r = run_cli("--version", NULL);
    CHECK(r.status == 0 && strcmp(r.out, version_line) == 0);
    cli_result_free(&r);

    r = run_cli("", NULL);
    CHECK(r.status == 2);
    CHECK(contains(r.err, "Usage: finecat COMMAND") && r.out[0] == '\0');
    cli_result_free(&r);

    r = run_cli("frobnicate --model x", NULL);
    CHECK(r.status == 2);
    CHECK(contains(r.err, "unknown command 'frobnicate'"));
    CHECK(contains(r.err, "Usage: finecat COMMAND"));
    CHECK(r.out[0] == '\0');
    cli_result_free(&r);

    r = run_cli("--frobnicate", NULL);
    CHECK(r.status == 2 && contains(r.err, "unknown option '--frobnicate'"));
    cli_result_free(&r);

    r = run_cli("help frobnicate", NULL);
    CHECK(r.status == 2 && contains(r.err, "unknown command 'frobnicate'"));
    cli_result_free(&r);

    r = run_cli("help", NULL);
    CHECK(r.status == 0 && contains(r.out, "Usage: finecat COMMAND"));
    cli_result_free(&r);
}

static void test_command_help(void) {
    // Every option of each command appears in its help, with the example.
    static const char *const options[3][7] = {
        {"--model", "--max-length", "--json", "--help", NULL},
        {"--model", "--input", "--output", "--batch-size", "--max-length", "--on-error",
         "--chunk-size"},
        {"--model", "--pair", "--max-length", "--truncation", "--tokens", "--help", NULL},
    };
    for (size_t c = 0; c < 3; c++) {
        char args[128], usage_start[64];
        snprintf(args, sizeof args, "%s --help", command_names[c]);
        snprintf(usage_start, sizeof usage_start, "Usage: finecat %s ", command_names[c]);
        cli_result help = run_cli(args, NULL);
        CHECK(help.status == 0);
        CHECK(starts_with(help.out, usage_start));
        CHECK(contains(help.out, "Example"));
        CHECK(contains(help.out, "default"));
        for (size_t o = 0; o < 7 && options[c][o]; o++) CHECK(contains(help.out, options[c][o]));
        CHECK(help.err[0] == '\0');

        // `finecat help CMD` and `CMD -h` print the same text; --help wins over a missing model.
        snprintf(args, sizeof args, "help %s", command_names[c]);
        cli_result same = run_cli(args, NULL);
        CHECK(same.status == 0 && strcmp(same.out, help.out) == 0);
        cli_result_free(&same);
        snprintf(args, sizeof args, "%s -h", command_names[c]);
        same = run_cli(args, NULL);
        CHECK(same.status == 0 && strcmp(same.out, help.out) == 0);
        cli_result_free(&same);
        cli_result_free(&help);
    }
}

static void test_usage_errors(void) {
    for (size_t c = 0; c < 3; c++) {
        char args[256];
        snprintf(args, sizeof args, "%s --model /nonexistent --frob a b", command_names[c]);
        cli_result r = run_cli(args, NULL);
        CHECK(r.status == 2);
        CHECK(contains(r.err, "unknown option '--frob'"));
        CHECK(contains(r.err, "--help"));
        CHECK(r.out[0] == '\0');
        cli_result_free(&r);

        // Without --model the default model is used: $FINECAT_MODEL names it here, so a
        // folder that does not exist must fail to load, naming itself.
        // (predict takes no positional arguments.)
        snprintf(args, sizeof args, c == 1 ? "%s" : "%s a b", command_names[c]);
        setenv("FINECAT_MODEL", "/nonexistent-default-model", 1);
        r = run_cli(args, "");
        unsetenv("FINECAT_MODEL");
        CHECK(r.status == 1 && contains(r.err, "/nonexistent-default-model"));
        cli_result_free(&r);

        snprintf(args, sizeof args, "%s a b --model", command_names[c]);
        r = run_cli(args, NULL);
        CHECK(r.status == 2 && contains(r.err, "--model needs a value"));
        cli_result_free(&r);

        snprintf(args, sizeof args, "%s --max-length ten --model /nonexistent a b",
                 command_names[c]);
        r = run_cli(args, NULL);
        CHECK(r.status == 2 && contains(r.err, "'ten' is not an integer"));
        cli_result_free(&r);
    }
    cli_result r = run_cli("predict --model /nonexistent --batch-size 0", NULL);
    CHECK(r.status == 2 && contains(r.err, "--batch-size") && contains(r.err, "at least 1"));
    cli_result_free(&r);
    r = run_cli("predict --model /nonexistent --on-error maybe", NULL);
    CHECK(r.status == 2 && contains(r.err, "'maybe' is not one of fail, skip"));
    cli_result_free(&r);
    r = run_cli("predict --model /nonexistent extra.jsonl", NULL);
    CHECK(r.status == 2 && contains(r.err, "unexpected argument 'extra.jsonl'"));
    cli_result_free(&r);
    r = run_cli("nli --model /nonexistent only-premise", NULL);
    CHECK(r.status == 2 && contains(r.err, "expected PREMISE and HYPOTHESIS"));
    cli_result_free(&r);
    r = run_cli("nli --json=yes --model /nonexistent a b", NULL);
    CHECK(r.status == 2 && contains(r.err, "--json takes no value"));
    cli_result_free(&r);
    r = run_cli("tokenize --model /nonexistent --truncation left a", NULL);
    CHECK(r.status == 2 && contains(r.err, "not one of longest_first, only_first, none"));
    cli_result_free(&r);
    r = run_cli("tokenize --model /nonexistent --pair a", NULL);
    CHECK(r.status == 2 && contains(r.err, "--pair takes PREMISE and HYPOTHESIS"));
    cli_result_free(&r);
}

static void test_missing_model(void) {
    const char *dir = "/nonexistent/finecat-model";
    const char *const invocations[] = {
        "nli --model /nonexistent/finecat-model premise hypothesis",
        "predict --model /nonexistent/finecat-model",
        "tokenize --model /nonexistent/finecat-model text",
    };
    for (size_t i = 0; i < 3; i++) {
        cli_result r = run_cli(invocations[i], "{\"premise\": \"a\", \"hypothesis\": \"b\"}\n");
        CHECK(r.status == 1);
        CHECK(starts_with(r.err, "finecat: "));
        CHECK(contains(r.err, dir)); // the message names the folder or a file in it
        CHECK(r.out[0] == '\0');
        cli_result_free(&r);
    }
    cli_result r =
        run_cli("predict --model /nonexistent/finecat-model --input /nonexistent/x.jsonl", NULL);
    CHECK(r.status == 1 && contains(r.err, "/nonexistent/x.jsonl: cannot open"));
    cli_result_free(&r);
}

// ---------------------------------------------------------------------------------------------
// With the fixture models

typedef struct reference_pair {
    const char *premise;
    const char *hypothesis;
    const cJSON *row; // reference row of the model under test
} reference_pair;

static char model_dir[512];
static cJSON *reference;
static reference_pair pairs[64];
static size_t n_pairs;
static int num_labels;
static const char *label_names[8];

static int load_reference(const char *model) {
    char path[512];
    snprintf(model_dir, sizeof model_dir, "%s/modernbert/%s", fc_test_fixtures_dir(), model);
    snprintf(path, sizeof path, "%s/modernbert/reference.json", fc_test_fixtures_dir());
    char *text;
    fc_error err;
    if (fc_read_file(path, &text, NULL, &err) != 0) {
        fprintf(stderr, "test_cli: %s\n", err.message);
        return -1;
    }
    reference = cJSON_Parse(text);
    free(text);
    if (!reference) return -1;
    const cJSON *model_ref =
        cJSON_GetObjectItem(cJSON_GetObjectItem(reference, "models"), model);
    const cJSON *rows = cJSON_GetObjectItem(model_ref, "rows");
    const cJSON *items = cJSON_GetObjectItem(reference, "pairs");
    n_pairs = 0;
    for (const cJSON *item = items ? items->child : NULL; item && n_pairs < 64;
         item = item->next, n_pairs++) {
        pairs[n_pairs].premise = cJSON_GetObjectItem(item, "premise")->valuestring;
        pairs[n_pairs].hypothesis = cJSON_GetObjectItem(item, "hypothesis")->valuestring;
        pairs[n_pairs].row = cJSON_GetArrayItem(rows, (int)n_pairs);
    }
    const cJSON *id2label = cJSON_GetObjectItem(model_ref, "id2label");
    num_labels = cJSON_GetArraySize(id2label);
    for (const cJSON *label = id2label ? id2label->child : NULL; label; label = label->next) {
        int id = atoi(label->string);
        if (id >= 0 && id < 8) label_names[id] = label->valuestring;
    }
    return n_pairs >= 10 && num_labels == 3 ? 0 : -1;
}

// Index of the largest value of a JSON array of numbers.
static int json_argmax(const cJSON *array) {
    int best = 0, i = 0;
    double best_value = -INFINITY;
    for (const cJSON *item = array ? array->child : NULL; item; item = item->next, i++)
        if (item->valuedouble > best_value) best_value = item->valuedouble, best = i;
    return best;
}

// Checks the members predict and nli --json add: probabilities by label name in model
// order summing to 1, logits close to want_logits (when given), label the argmax's name.
static void check_result_members(const cJSON *object, const cJSON *want_logits) {
    const cJSON *probs = cJSON_GetObjectItemCaseSensitive(object, "probabilities");
    const cJSON *logits = cJSON_GetObjectItemCaseSensitive(object, "logits");
    const cJSON *label = cJSON_GetObjectItemCaseSensitive(object, "label");
    CHECK(cJSON_IsObject(probs) && cJSON_IsArray(logits) && cJSON_IsString(label));
    if (!cJSON_IsObject(probs) || !cJSON_IsArray(logits) || !cJSON_IsString(label)) return;
    CHECK(cJSON_GetArraySize(probs) == num_labels && cJSON_GetArraySize(logits) == num_labels);
    double sum = 0.0;
    int i = 0;
    for (const cJSON *p = probs->child; p && i < num_labels; p = p->next, i++) {
        CHECK(label_names[i] && strcmp(p->string, label_names[i]) == 0);
        sum += p->valuedouble;
    }
    CHECK_CLOSE(sum, 1.0, 1e-5);
    int predicted = json_argmax(logits);
    CHECK(strcmp(label->valuestring, label_names[predicted]) == 0);
    CHECK(json_argmax(probs) == predicted);
    if (want_logits) {
        const cJSON *want = want_logits->child;
        for (const cJSON *got = logits->child; got && want; got = got->next, want = want->next)
            CHECK_CLOSE(got->valuedouble, want->valuedouble, 1e-4);
    }
}

static void test_nli_command(void) {
    const reference_pair *pair = &pairs[9]; // a short MNLI pair
    char premise[4096], hypothesis[4096], args[9000];
    shell_quote(premise, sizeof premise, pair->premise);
    shell_quote(hypothesis, sizeof hypothesis, pair->hypothesis);

    snprintf(args, sizeof args, "nli --model %s %s %s", model_dir, premise, hypothesis);
    cli_result r = run_cli(args, NULL);
    CHECK(r.status == 0 && r.err[0] == '\0');
    CHECK(count_lines(r.out) == (size_t)num_labels);
    // One line per label in model order, the predicted one marked with '*'.
    int predicted = json_argmax(cJSON_GetObjectItem(pair->row, "logits"));
    const char *line = r.out;
    double sum = 0.0;
    for (int i = 0; i < num_labels && *line; i++) {
        char mark, name[64];
        double p = -1.0;
        CHECK(sscanf(line, "%c %63s %lf", &mark, name, &p) == 3);
        CHECK(strcmp(name, label_names[i]) == 0);
        CHECK(mark == (i == predicted ? '*' : ' '));
        sum += p;
        line = strchr(line, '\n') + 1;
    }
    CHECK_CLOSE(sum, 1.0, 2e-4); // four decimals each
    cli_result_free(&r);

    snprintf(args, sizeof args, "nli --json --model %s %s %s", model_dir, premise, hypothesis);
    r = run_cli(args, NULL);
    CHECK(r.status == 0 && count_lines(r.out) == 1);
    cJSON *json = cJSON_Parse(r.out);
    CHECK(cJSON_IsObject(json));
    if (json) {
        const cJSON *p = cJSON_GetObjectItem(json, "premise");
        CHECK(cJSON_IsString(p) && strcmp(p->valuestring, pair->premise) == 0);
        check_result_members(json, cJSON_GetObjectItem(pair->row, "logits"));
    }
    cJSON_Delete(json);
    cli_result_free(&r);

    // --max-length 24 gives Hugging Face's logits for the pair truncated to 24 tokens.
    const reference_pair *long_pair = &pairs[0];
    shell_quote(premise, sizeof premise, long_pair->premise);
    shell_quote(hypothesis, sizeof hypothesis, long_pair->hypothesis);
    snprintf(args, sizeof args, "nli --json --max-length 24 --model %s %s %s", model_dir,
             premise, hypothesis);
    r = run_cli(args, NULL);
    json = cJSON_Parse(r.out);
    CHECK(r.status == 0 && json);
    if (json) check_result_members(json, cJSON_GetObjectItem(long_pair->row, "truncated24_logits"));
    cJSON_Delete(json);
    cli_result_free(&r);

    snprintf(args, sizeof args, "nli --model %s 'A premise.' \"$(printf 'bad \\377 byte')\"",
             model_dir);
    r = run_cli(args, NULL);
    CHECK(r.status == 1 && starts_with(r.err, "finecat: ") && contains(r.err, "hypothesis"));
    CHECK(r.out[0] == '\0');
    cli_result_free(&r);
}

// JSONL of reference pairs first..first+count, each with an "n" member giving its index.
static char *pairs_jsonl(size_t first, size_t count) {
    cJSON *record = NULL;
    size_t size = 0, cap = 1 << 16;
    char *text = malloc(cap);
    text[0] = '\0';
    for (size_t i = first; i < first + count && i < n_pairs; i++) {
        record = cJSON_CreateObject();
        cJSON_AddNumberToObject(record, "n", (double)i);
        cJSON_AddStringToObject(record, "premise", pairs[i].premise);
        cJSON_AddStringToObject(record, "hypothesis", pairs[i].hypothesis);
        char *line = cJSON_PrintUnformatted(record);
        size_t len = strlen(line);
        if (size + len + 2 > cap) text = realloc(text, cap = 2 * (size + len + 2));
        memcpy(text + size, line, len);
        text[size + len] = '\n';
        size += len + 1;
        text[size] = '\0';
        free(line);
        cJSON_Delete(record);
    }
    return text;
}

// Parses each output line and checks it against the reference pair named by its "n".
static void check_predictions(const char *out, size_t want_lines) {
    CHECK(count_lines(out) == want_lines);
    const char *line = out;
    size_t previous = 0;
    for (size_t k = 0; k < want_lines && *line; k++) {
        cJSON *json = cJSON_ParseWithOpts(line, &line, 0);
        CHECK(cJSON_IsObject(json));
        if (!json) return;
        size_t n = (size_t)cJSON_GetObjectItem(json, "n")->valuedouble;
        CHECK(n < n_pairs && (k == 0 || n > previous)); // input order kept
        previous = n;
        // Fields come back in input order, the results last.
        CHECK(strcmp(json->child->string, "n") == 0);
        CHECK(strcmp(json->child->next->string, "premise") == 0);
        CHECK(strcmp(json->child->next->next->string, "hypothesis") == 0);
        check_result_members(json, cJSON_GetObjectItem(pairs[n].row, "logits"));
        cJSON_Delete(json);
        while (*line == '\n') line++;
    }
}

static void test_predict_matches_reference(void) {
    char *input = pairs_jsonl(0, n_pairs);
    char args[1024];
    snprintf(args, sizeof args, "predict --model %s", model_dir);
    cli_result r = run_cli(args, input);
    CHECK(r.status == 0 && only_predict_progress(r.err));
    check_predictions(r.out, n_pairs);
    cli_result_free(&r);

    // Small chunks and batches that do not divide the input change nothing.
    snprintf(args, sizeof args, "predict --model %s --chunk-size 4 --batch-size 3", model_dir);
    r = run_cli(args, input);
    CHECK(r.status == 0);
    check_predictions(r.out, n_pairs);
    cli_result_free(&r);

    // --input and --output files: the output appears whole, and no temporary file remains.
    char in_path[128], out_path[128], part_path[160];
    snprintf(in_path, sizeof in_path, "%s/in.jsonl", temp_dir);
    snprintf(out_path, sizeof out_path, "%s/out.jsonl", temp_dir);
    snprintf(part_path, sizeof part_path, "%s.part", out_path);
    write_file(in_path, input, strlen(input));
    remove(out_path);
    snprintf(args, sizeof args, "predict --model %s --input %s --output %s", model_dir, in_path,
             out_path);
    r = run_cli(args, NULL);
    CHECK(r.status == 0 && r.out[0] == '\0');
    char *written = read_text(out_path);
    check_predictions(written, n_pairs);
    CHECK(!fc_file_exists(part_path));
    free(written);
    cli_result_free(&r);

    // A failing run leaves neither the output nor its temporary file.
    remove(out_path);
    write_file(in_path, "{\"premise\": \"a\", \"hypothesis\": \"b\"}\nnot json\n", 45);
    r = run_cli(args, NULL);
    CHECK(r.status == 1);
    CHECK(!fc_file_exists(out_path) && !fc_file_exists(part_path));
    char where[200];
    snprintf(where, sizeof where, "%s:2: malformed JSON", in_path);
    CHECK(contains(r.err, where));
    cli_result_free(&r);
    free(input);
}

static void test_predict_records(void) {
    char args[1024];
    snprintf(args, sizeof args, "predict --model %s", model_dir);

    // Other members pass through byte for byte (a 20-digit id, a nested object, "2.50"), in
    // order; an input "label" is replaced by the prediction; an empty premise is fine.
    const char *input =
        "{\"id\": 12345678901234567890, \"meta\": {\"a\": [1, 2.50, \"x\\u00e9\"]}, "
        "\"premise\": \"A dog runs.\", \"label\": \"gold\", \"hypothesis\": \"An animal moves.\"}\n"
        "{\"premise\": \"\", \"hypothesis\": \"Something.\"}\n"
        // Brackets and quotes inside strings, and a form feed, which cJSON takes for space.
        "{\"s\": \"]}{\\\"[\",\f\"premise\": \"p\", \"hypothesis\": \"h\", \"logits\": [1]}\n";
    cli_result r = run_cli(args, input);
    CHECK(r.status == 0 && only_predict_progress(r.err));
    CHECK(count_lines(r.out) == 3);
    CHECK(starts_with(r.out, "{\"id\": 12345678901234567890,\"meta\": {\"a\": [1, 2.50, "
                             "\"x\\u00e9\"]},\"premise\": \"A dog runs.\",\"hypothesis\": "
                             "\"An animal moves.\",\"probabilities\":{"));
    cJSON *first = cJSON_Parse(r.out);
    CHECK(first != NULL);
    if (first) {
        int n_labels = 0;
        for (const cJSON *m = first->child; m; m = m->next)
            n_labels += strcmp(m->string, "label") == 0;
        CHECK(n_labels == 1);
        check_result_members(first, NULL);
    }
    cJSON_Delete(first);
    const char *second = strchr(r.out, '\n') + 1;
    CHECK(starts_with(second, "{\"premise\": \"\",\"hypothesis\": \"Something.\","));
    const char *third = strchr(second, '\n') + 1;
    CHECK(starts_with(third, "{\"s\": \"]}{\\\"[\",\"premise\": \"p\",\"hypothesis\": \"h\","
                             "\"probabilities\""));
    cJSON *third_json = cJSON_Parse(third);
    CHECK(third_json != NULL);
    if (third_json) check_result_members(third_json, NULL);
    cJSON_Delete(third_json);
    cli_result_free(&r);

    // Blank lines (also with spaces or CR), CRLF line ends and a missing final newline.
    input = "\r\n{\"premise\": \"a\", \"hypothesis\": \"b\"}\r\n   \n\n"
            "{\"premise\": \"c\", \"hypothesis\": \"d\"}";
    r = run_cli(args, input);
    CHECK(r.status == 0 && only_predict_progress(r.err));
    CHECK(count_lines(r.out) == 2);
    CHECK(!contains(r.out, "\r"));
    CHECK(starts_with(r.out, "{\"premise\": \"a\",\"hypothesis\": \"b\","));
    cli_result_free(&r);

    // Nothing in, nothing out; with --quiet, not even the progress line.
    char quiet_args[1100];
    snprintf(quiet_args, sizeof quiet_args, "%s --quiet", args);
    r = run_cli(quiet_args, "\n\n");
    CHECK(r.status == 0 && r.out[0] == '\0' && r.err[0] == '\0');
    cli_result_free(&r);
}

static void test_predict_bad_records(void) {
    // Line 1 good, 2 blank, 3 malformed, 4 not an object, 5 no hypothesis, 6 premise not a
    // string, 7 invalid UTF-8 in the hypothesis, 8 good.
    const char input[] = "{\"premise\": \"a\", \"hypothesis\": \"b\"}\n"
                         "\n"
                         "{\"premise\": \"a\", \"hypothesis\": \n"
                         "[\"premise\", \"hypothesis\"]\n"
                         "{\"premise\": \"a\"}\n"
                         "{\"premise\": 7, \"hypothesis\": \"b\"}\n"
                         "{\"premise\": \"a\", \"hypothesis\": \"\xC3\x28\"}\n"
                         "{\"premise\": \"c\", \"hypothesis\": \"d\"}\n";
    char args[1024];
    snprintf(args, sizeof args, "predict --model %s", model_dir);
    cli_result r = run_cli(args, input);
    CHECK(r.status == 1);
    CHECK(contains(r.err, "finecat: <stdin>:3: malformed JSON"));
    CHECK(count_lines(r.err) == 1);
    CHECK(r.out[0] == '\0'); // the chunk holding the bad line is never classified
    cli_result_free(&r);

    snprintf(args, sizeof args, "predict --model %s --on-error skip", model_dir);
    r = run_cli(args, input);
    CHECK(r.status == 0);
    CHECK(count_lines(r.out) == 2);
    CHECK(contains(r.err, "<stdin>:3: malformed JSON"));
    CHECK(contains(r.err, "<stdin>:4: expected a JSON object, got an array"));
    CHECK(contains(r.err, "<stdin>:5: missing \"hypothesis\""));
    CHECK(contains(r.err, "<stdin>:6: \"premise\" is a number, not a string"));
    CHECK(contains(r.err, "<stdin>:7: hypothesis: "));
    CHECK(contains(r.err, "2 records, 5 skipped"));
    CHECK(!contains(r.err, "<stdin>:1:") && !contains(r.err, "<stdin>:2:") &&
          !contains(r.err, "<stdin>:8:"));
    cli_result_free(&r);

    // Invalid UTF-8 alone fails the run, naming line and field.
    snprintf(args, sizeof args, "predict --model %s", model_dir);
    r = run_cli(args, "{\"premise\": \"\xFF\xFE\", \"hypothesis\": \"b\"}");
    CHECK(r.status == 1 && contains(r.err, "<stdin>:1: premise: "));
    cli_result_free(&r);

    // A NUL byte inside a line is no JSON text.
    r = run_cli_bytes(args, "{\"premise\": \"a\0\", \"hypothesis\": \"b\"}\n", 38);
    CHECK(r.status == 1 && contains(r.err, "<stdin>:1: contains a NUL byte"));
    cli_result_free(&r);
}

static void test_tokenize_command(void) {
    const reference_pair *pair = &pairs[9];
    char premise[4096], hypothesis[4096], args[9000], want[4096];
    // The reference ids as the output line "id id ...\n".
    size_t used = 0;
    const cJSON *ids = cJSON_GetObjectItem(pair->row, "input_ids");
    int n_ids = cJSON_GetArraySize(ids);
    for (const cJSON *id = ids->child; id; id = id->next)
        used += snprintf(want + used, sizeof want - used, id == ids->child ? "%d" : " %d",
                         id->valueint);
    snprintf(want + used, sizeof want - used, "\n");

    shell_quote(premise, sizeof premise, pair->premise);
    shell_quote(hypothesis, sizeof hypothesis, pair->hypothesis);
    snprintf(args, sizeof args, "tokenize --model %s --pair %s %s", model_dir, premise,
             hypothesis);
    cli_result r = run_cli(args, NULL);
    CHECK(r.status == 0 && strcmp(r.out, want) == 0);
    cli_result_free(&r);

    // The same pair as JSONL on stdin, twice, around a blank line.
    char *jsonl = pairs_jsonl(9, 1);
    size_t len = strlen(jsonl);
    char *twice = malloc(2 * len + 2);
    snprintf(twice, 2 * len + 2, "%s\n%s", jsonl, jsonl);
    snprintf(args, sizeof args, "tokenize --model %s --pair", model_dir);
    r = run_cli(args, twice);
    CHECK(r.status == 0 && count_lines(r.out) == 2);
    CHECK(starts_with(r.out, want) && strcmp(r.out + strlen(want), want) == 0);
    cli_result_free(&r);
    free(twice);
    free(jsonl);

    // --tokens adds a JSON array of the token strings, one per id.
    snprintf(args, sizeof args, "tokenize --model %s --tokens --pair %s %s", model_dir, premise,
             hypothesis);
    r = run_cli(args, NULL);
    CHECK(r.status == 0 && count_lines(r.out) == 2 && starts_with(r.out, want));
    cJSON *tokens = cJSON_Parse(r.out + strlen(want));
    CHECK(cJSON_IsArray(tokens) && cJSON_GetArraySize(tokens) == n_ids);
    CHECK(tokens && cJSON_IsString(tokens->child) &&
          strcmp(tokens->child->valuestring, "[CLS]") == 0);
    cJSON_Delete(tokens);
    cli_result_free(&r);

    // --max-length 24 gives Hugging Face's truncation (longest_first).
    const reference_pair *long_pair = &pairs[0];
    used = 0;
    ids = cJSON_GetObjectItem(long_pair->row, "truncated24_ids");
    for (const cJSON *id = ids->child; id; id = id->next)
        used += snprintf(want + used, sizeof want - used, id == ids->child ? "%d" : " %d",
                         id->valueint);
    snprintf(want + used, sizeof want - used, "\n");
    shell_quote(premise, sizeof premise, long_pair->premise);
    shell_quote(hypothesis, sizeof hypothesis, long_pair->hypothesis);
    snprintf(args, sizeof args, "tokenize --model %s --max-length 24 --pair %s %s", model_dir,
             premise, hypothesis);
    r = run_cli(args, NULL);
    CHECK(r.status == 0 && strcmp(r.out, want) == 0);
    cli_result_free(&r);

    // Single texts: one line per argument or per input line, blank lines included;
    // [CLS] text [SEP] with the ids of the pair encoder's first segment.
    snprintf(args, sizeof args, "tokenize --model %s", model_dir);
    r = run_cli(args, "first line\n\nthird line");
    CHECK(r.status == 0 && count_lines(r.out) == 3);
    // The blank line gives [CLS] [SEP], the ids that open and close the reference pair.
    const cJSON *pair_ids = cJSON_GetObjectItem(pair->row, "input_ids");
    char blank_ids[64];
    snprintf(blank_ids, sizeof blank_ids, "%d %d\n", cJSON_GetArrayItem(pair_ids, 0)->valueint,
             cJSON_GetArrayItem(pair_ids, n_ids - 1)->valueint);
    CHECK(starts_with(strchr(r.out, '\n') + 1, blank_ids));
    cli_result_free(&r);
    snprintf(args, sizeof args, "tokenize --model %s 'one' 'two words'", model_dir);
    r = run_cli(args, NULL);
    CHECK(r.status == 0 && count_lines(r.out) == 2);
    cli_result_free(&r);

    // Truncation of a single long text, and none when asked.
    snprintf(args, sizeof args, "tokenize --model %s --max-length 5 %s", model_dir, premise);
    r = run_cli(args, NULL);
    CHECK(r.status == 0 && count_lines(r.out) == 1);
    int n_fields = 0;
    for (const char *p = r.out; *p; p++) n_fields += *p == ' ';
    CHECK(n_fields == 4); // five ids
    cli_result_free(&r);
    snprintf(args, sizeof args, "tokenize --model %s --max-length 5 --truncation none %s",
             model_dir, premise);
    r = run_cli(args, NULL);
    n_fields = 0;
    for (const char *p = r.out; *p; p++) n_fields += *p == ' ';
    CHECK(r.status == 0 && n_fields > 4);
    cli_result_free(&r);

    // Invalid UTF-8 names the argument; on stdin the line.
    snprintf(args, sizeof args, "tokenize --model %s ok \"$(printf '\\377')\"", model_dir);
    r = run_cli(args, NULL);
    CHECK(r.status == 1 && contains(r.err, "TEXT 2"));
    cli_result_free(&r);
    snprintf(args, sizeof args, "tokenize --model %s", model_dir);
    r = run_cli(args, "ok\n\xC3\n");
    CHECK(r.status == 1 && contains(r.err, "<stdin>:2"));
    cli_result_free(&r);
    snprintf(args, sizeof args, "tokenize --model %s --pair", model_dir);
    r = run_cli(args, "{\"premise\": \"a\"}\n");
    CHECK(r.status == 1 && contains(r.err, "<stdin>:1") && contains(r.err, "hypothesis"));
    cli_result_free(&r);
}

// --dtype on every command that runs a model (issue 15), with the shipped model: each one
// accepts every dtype, gives the README pair's answer, and refuses an unknown name; curate's
// manifest records the dtype, so a resumed run with another one is refused.
static void test_dtype_everywhere(void) {
    const char *pair = "'A man is playing a guitar on stage.' 'A person is making music.'";
    const char *dtypes[] = {"f32", "bf16", "f16", "int8"};
    char args[512];
    for (int d = 0; d < 4; d++) {
        snprintf(args, sizeof args, "nli --dtype %s --json %s", dtypes[d], pair);
        cli_result r = run_cli(args, NULL);
        CHECK(r.status == 0 && contains(r.out, "\"label\":\"entailment\""));
        cli_result_free(&r);
    }
    cli_result r = run_cli("zeroshot --dtype int8 --labels politics,sports,cooking",
                           "The striker scored twice in the second half and the crowd went wild.\n");
    CHECK(r.status == 0 && contains(r.out, "\"labels\":[\"sports\""));
    cli_result_free(&r);
    char context[128], answer[128];
    snprintf(context, sizeof context, "%s/context.txt", temp_dir);
    snprintf(answer, sizeof answer, "%s/answer.txt", temp_dir);
    const char *context_text = "The meeting is on Monday at noon.\n";
    const char *answer_text = "The meeting is on Monday.\n";
    write_file(context, context_text, strlen(context_text));
    write_file(answer, answer_text, strlen(answer_text));
    snprintf(args, sizeof args, "check --dtype bf16 --context %s --answer %s", context, answer);
    r = run_cli(args, NULL);
    CHECK(r.status == 0);
    cli_result_free(&r);
    snprintf(args, sizeof args,
             "eval --dtype int8 --quiet --max-rows 40 --data mnli=%s/nli/mnli/native_subsets/multinli_dev_matched_subset1000.jsonl",
             fc_test_shared_data_dir());
    r = run_cli(args, NULL);
    CHECK(r.status == 0 && contains(r.out, "finecat-nli-minilm") && contains(r.out, "mnli"));
    cli_result_free(&r);
    r = run_cli("nli --dtype f64 a b", NULL);
    CHECK(r.status == 2 && contains(r.err, "--dtype") && contains(r.err, "int8"));
    cli_result_free(&r);
    r = run_cli("serve --dtype f64", NULL);
    CHECK(r.status == 2 && contains(r.err, "--dtype"));
    cli_result_free(&r);
}

void suite_cli(void) {
    snprintf(temp_dir, sizeof temp_dir, "/tmp/finecat_cli_XXXXXX");
    CHECK(mkdtemp(temp_dir) != NULL);
    test_line_reader();

    int have_binary = access(finecat_bin(), X_OK) == 0;
    if (!have_binary) fprintf(stderr, "  no program at %s (set FINECAT_BIN)\n", finecat_bin());
    CHECK(have_binary);
    if (have_binary) {
        test_top_level();
        test_command_help();
        test_usage_errors();
        test_missing_model();
        test_dtype_everywhere();
        int have_model = load_reference("tiny-cls") == 0;
        CHECK(have_model);
        if (have_model) {
            test_nli_command();
            test_predict_matches_reference();
            test_predict_records();
            test_predict_bad_records();
            test_tokenize_command();
        }
        cJSON_Delete(reference);
        reference = NULL;
    }
    char command[128];
    snprintf(command, sizeof command, "rm -rf '%s'", temp_dir);
    if (system(command) != 0) fprintf(stderr, "  could not remove %s\n", temp_dir);
}
