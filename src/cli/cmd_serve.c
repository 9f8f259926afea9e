// `finecat serve`: runs the HTTP server until SIGTERM or SIGINT, then drains and exits 0.
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/dtype_option.h"
#include "cli/default_model.h"
#include "finecat.h"
#include "serve/server.h"

static const char usage[] =
    "Usage: finecat serve [--model DIR] [OPTIONS]\n"
    "\n"
    "Serves the model over HTTP (JSON in, JSON out):\n"
    "  POST /predict    {\"inputs\": [[\"premise\", \"hypothesis\"], ...] or\n"
    "                   [\"premise\", \"hypothesis\"], \"raw_scores\": false,\n"
    "                   \"truncate\": false} -> per pair [{\"label\", \"score\"}, ...]\n"
    "                   by descending score (text-embeddings-inference shape;\n"
    "                   raw_scores gives logits; truncate cuts pairs over the\n"
    "                   max length, longest first, instead of a 413)\n"
    "  POST /zero-shot  {\"inputs\": \"text\" or [...], \"parameters\":\n"
    "                   {\"candidate_labels\": [...], \"multi_label\": false,\n"
    "                   \"hypothesis_template\": \"This example is {}.\"}} ->\n"
    "                   {\"sequence\", \"labels\", \"scores\"} (or a list), as the\n"
    "                   Hugging Face zero-shot pipeline\n"
    "  POST /check      {\"context\": \"...\", \"answer\": \"...\",\n"
    "                   \"support_threshold\": 0.5, \"contradiction_threshold\":\n"
    "                   0.5} -> the JSON of 'finecat check'\n"
    "  POST /rerank     {\"query\": \"...\", \"texts\": [...], \"raw_scores\": false,\n"
    "                   \"return_text\": false, \"truncate\": false} ->\n"
    "                   [{\"index\", \"score\"}, ...] by descending score; the\n"
    "                   score is the entailment probability of (premise = text,\n"
    "                   hypothesis = query) (text-embeddings-inference shape)\n"
    "  POST /tokenize   {\"inputs\": \"text\" or [...], \"add_special_tokens\":\n"
    "                   true} -> per input [{\"id\", \"text\", \"special\", \"start\",\n"
    "                   \"stop\"}, ...]\n"
    "  GET /health, GET /info (model id, type, labels, dtype, max length,\n"
    "  version, limits), GET /openapi.json (every route), GET /metrics\n"
    "  (Prometheus text)\n"
    "Pairs of concurrent requests are batched into shared forward passes.\n"
    "Errors are JSON {\"error\", \"error_type\"}: 400 body not UTF-8 or not JSON,\n"
    "404 unknown route, 405 wrong method, 413 body too large, too many pairs\n"
    "or an input over the max length, 422 unknown fields (named), wrong\n"
    "fields, types or empty lists, 429 too many requests in flight, 503 out\n"
    "of memory or a connection past --max-connections.\n"
    "\n"
    "Options:\n"
    "  --dtype T                      weights in memory: f32 (default), bf16 or int8\n"
    "                                 (the CPU's matrix engines), f16 (AVX512-FP16\n"
    "                                 where the CPU has it, else fp32 math);\n"
    "                                 /info reports it\n"
    "  --model DIR                    model folder (default: models/finecat-nli-minilm,\n"
    "                                 the model that ships with finecat, or $FINECAT_MODEL)\n"
    "  --host ADDR                    address to listen on (default: 127.0.0.1)\n"
    "  --port N                       port; 0 picks a free one (default: 8080)\n"
    "  --max-batch-tokens N           tokens per forward pass, across\n"
    "                                 requests (default: 8192)\n"
    "  --max-concurrent-requests N    requests in flight at once; past it\n"
    "                                 the answer is 429 (default: 512)\n"
    "  --max-body-bytes N             largest request body (default: 2097152)\n"
    "  --max-client-batch-size N      most pairs in one /predict request,\n"
    "                                 texts x labels in one /zero-shot\n"
    "                                 request, answer sentences in one /check\n"
    "                                 request (default: 32)\n"
    "  --threads N                    compute threads of the inference\n"
    "                                 worker (default: OpenMP's default)\n"
    "  --http-threads N               event-loop threads that read requests,\n"
    "                                 parse, tokenize and write replies; a long\n"
    "                                 body being tokenized holds up only the\n"
    "                                 sockets of its thread (default: 4)\n"
    "  --max-connections N            open connections; one opened past it\n"
    "                                 is answered 503 and closed (default: 4096)\n"
    "  --max-connections-per-ip N     open connections from one client address;\n"
    "                                 past it refused at accept; 0: no cap\n"
    "                                 (default: 1024, a quarter of the default\n"
    "                                 --max-connections: no one host can take\n"
    "                                 every slot, while a reverse proxy or load\n"
    "                                 generator, whose clients all share its\n"
    "                                 address, keeps room for its pool)\n"
    "  --request-deadline SECONDS     time a connection has to send a complete\n"
    "                                 request after opening or after its last\n"
    "                                 reply, however it trickles bytes; idle\n"
    "                                 keep-alive connections close then too\n"
    "                                 (default: 30)\n"
    "  --log-format text|json         one line per request on standard error:\n"
    "                                 time, method, route, status, milliseconds\n"
    "                                 (default: text)\n"
    "  --quiet                        no request log\n"
    "  -h, --help                     show this help\n"
    "\n"
    "The line 'finecat serve: listening on http://HOST:PORT' goes to standard\n"
    "error once the server accepts connections. SIGTERM or SIGINT stops\n"
    "accepting connections, lets the requests in flight finish (up to 30 s)\n"
    "and exits 0.\n"
    "\n"
    "Example:\n"
    "  finecat serve --model models/finecat-nli-l --port 8080 &\n"
    "  curl -s localhost:8080/predict -d '{\"inputs\": [\"It rains.\", \"It is wet.\"]}'\n";

// SIGTERM and SIGINT write their number here and the main thread reads it: a handler works
// whichever thread the signal lands on (libraries such as OpenBLAS start threads before main
// could block the signals in them), and a second signal during the drain is harmless.
static int stop_pipe[2] = {-1, -1};

static void on_stop_signal(int sig) {
    unsigned char number = (unsigned char)sig;
    ssize_t written = write(stop_pipe[1], &number, 1); // async-signal-safe
    (void)written;
}

static int install_stop_handlers(void) {
    if (pipe2(stop_pipe, O_CLOEXEC) != 0) return -1;
    struct sigaction action = {0};
    action.sa_handler = on_stop_signal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    if (sigaction(SIGTERM, &action, NULL) != 0 || sigaction(SIGINT, &action, NULL) != 0) return -1;
    signal(SIGPIPE, SIG_IGN); // a client that goes away must not kill the server
    return 0;
}

static int wait_for_stop_signal(void) {
    unsigned char number = 0;
    while (read(stop_pipe[0], &number, 1) < 0 && errno == EINTR) continue;
    return number;
}

int cmd_serve(int argc, char **argv) {
    fc_server_options options = fc_server_default_options();
    const char *model_dir = NULL;
    int max_body_bytes = (int)options.max_body_bytes;
    int request_deadline = (int)options.request_deadline;
    int log_format = options.log_format, quiet = 0, dtype = 0;
    static const char *const log_formats[] = {"text", "json", NULL};
    const fc_arg_option arg_options[] = {
        {.name = "--model", .kind = FC_ARG_STRING, .target = &model_dir},
        {.name = "--dtype", .kind = FC_ARG_CHOICE, .target = &dtype, .choices = fc_cli_dtypes},
        {.name = "--host", .kind = FC_ARG_STRING, .target = &options.host},
        {.name = "--port", .kind = FC_ARG_INT, .target = &options.port, .min_value = 0},
        {.name = "--max-batch-tokens", .kind = FC_ARG_INT, .target = &options.max_batch_tokens,
         .min_value = 1},
        {.name = "--max-concurrent-requests", .kind = FC_ARG_INT,
         .target = &options.max_concurrent_requests, .min_value = 1},
        {.name = "--max-body-bytes", .kind = FC_ARG_INT, .target = &max_body_bytes,
         .min_value = 1},
        {.name = "--max-client-batch-size", .kind = FC_ARG_INT,
         .target = &options.max_client_batch_size, .min_value = 1},
        {.name = "--threads", .kind = FC_ARG_INT, .target = &options.threads, .min_value = 1},
        {.name = "--http-threads", .kind = FC_ARG_INT, .target = &options.http_threads,
         .min_value = 1},
        {.name = "--max-connections", .kind = FC_ARG_INT, .target = &options.max_connections,
         .min_value = 1},
        {.name = "--max-connections-per-ip", .kind = FC_ARG_INT,
         .target = &options.max_connections_per_ip, .min_value = 0},
        {.name = "--request-deadline", .kind = FC_ARG_INT, .target = &request_deadline,
         .min_value = 1},
        {.name = "--log-format", .kind = FC_ARG_CHOICE, .target = &log_format,
         .choices = log_formats},
        {.name = "--quiet", .kind = FC_ARG_FLAG, .target = &quiet},
    };
    int n_positional = 0;
    switch (fc_args_parse("serve", argc, argv, arg_options,
                          sizeof arg_options / sizeof arg_options[0], &n_positional)) {
    case FC_ARGS_HELP: fputs(usage, stdout); return FC_EXIT_OK;
    case FC_ARGS_ERROR: return FC_EXIT_USAGE;
    case FC_ARGS_OK: break;
    }
    model_dir = fc_cli_model_dir("serve", model_dir);
    if (!model_dir) return fc_args_usage_error("serve", "missing --model DIR");
    if (n_positional != 0) return fc_args_usage_error("serve", "unexpected argument '%s'", argv[1]);
    if (options.port > 65535)
        return fc_args_usage_error("serve", "--port: %d is not a port (0..65535)", options.port);
    if (options.http_threads > 64)
        return fc_args_usage_error("serve", "--http-threads: %d is more than 64",
                                   options.http_threads);
    options.max_body_bytes = (size_t)max_body_bytes;
    options.request_deadline = request_deadline;
    options.log_format = quiet ? FC_LOG_NONE : (fc_log_format)log_format;
    // /info's model_dtype, in text-embeddings-inference's words.
    static const char *const info_dtypes[] = {"float32", "bfloat16", "float16", "int8"};
    options.dtype = info_dtypes[dtype];
    options.model_dir = model_dir;

    if (install_stop_handlers() != 0) {
        fprintf(stderr, "finecat: cannot install the SIGTERM handler: %s\n", strerror(errno));
        return FC_EXIT_FAILURE;
    }

    fc_error err;
    fc_model *model = NULL;
    if (fc_cli_load_model(model_dir, dtype, &model, &err) != 0) {
        fprintf(stderr, "finecat: %s\n", err.message);
        return FC_EXIT_FAILURE;
    }
    fc_server *server = NULL;
    if (fc_server_start(model, &options, &server, &err) != 0) {
        fprintf(stderr, "finecat: %s\n", err.message);
        fc_model_free(model);
        return FC_EXIT_FAILURE;
    }
    int is_ipv6 = strchr(options.host, ':') != NULL;
    fprintf(stderr, "finecat serve: listening on http://%s%s%s:%d (model %s)\n",
            is_ipv6 ? "[" : "", options.host, is_ipv6 ? "]" : "", fc_server_port(server),
            model_dir);
    fflush(stderr);

    int received = wait_for_stop_signal();
    fprintf(stderr, "finecat serve: %s: draining requests in flight, then exiting\n",
            received == SIGINT ? "SIGINT" : "SIGTERM");
    fc_server_stop(server);
    fc_model_free(model);
    fprintf(stderr, "finecat serve: stopped\n");
    return FC_EXIT_OK;
}

const fc_command fc_command_serve = {
    .name = "serve",
    .summary = "serve the model over HTTP (predict, zero-shot, check)",
    .usage = usage,
    .run = cmd_serve,
};
