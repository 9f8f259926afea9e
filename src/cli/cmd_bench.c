// `finecat bench`: samples/s, tokens/s, padding waste, effective GFLOP/s against this
// machine's GEMM rate, and peak memory, on real pairs at batch 32 (issue 4).
#include <errno.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kernels/cpu/gemm.h"
#include "bench/bench.h"
#include "bench/random_checkpoint.h"
#include "cli/args.h"
#include "cli/commands.h"
#include "cli/default_model.h"
#include "data/dataset.h"
#include "eval/peak_memory.h"
#include "kernels/cpu/linear_lowp.h"
#include "finecat.h"
#include "util/alloc.h"
#include "util/progress.h"
#include "util/remove_on_signal.h"
#ifdef FC_WITH_CUDA
#include "model/modernbert/modernbert_cuda.h"
#endif

static const char usage[] =
    "Usage: finecat bench (--model DIR | --config FILE --random-weights) [OPTIONS]\n"
    "\n"
    "Measures inference throughput on real NLI pairs: samples/s and tokens/s over\n"
    "whole passes (tokenization included), the padding a padded batch would\n"
    "waste, the effective GFLOP/s of the forward and its fraction of the GEMM\n"
    "rate this command measures on the same machine, and peak resident memory.\n"
    "Prints a table, and JSON with --json. Progress goes to standard error: a bar\n"
    "with rate and ETA on a terminal, plain lines otherwise. The defaults (64\n"
    "pairs, best of 2 passes after one warm-up batch, the GEMM probe) are sized\n"
    "for a run of under two minutes with ModernBERT-large on 2 idle cores,\n"
    "random checkpoint included; --pairs 0 --repeats 3 is the full run (740).\n"
    "\n"
    "Options:\n"
    "  --model DIR         model folder to benchmark\n"
    "  --config FILE       a config.json (tokenizer files beside it) to build a\n"
    "                      checkpoint with random weights from; needs\n"
    "                      --random-weights. Measures real shapes (ModernBERT\n"
    "                      base, large; DeBERTa-v2/v3; BERT, RoBERTa) without\n"
    "                      their weights, drawn as transformers initializes them\n"
    "  --random-weights    confirm random weights for --config\n"
    "  --dtype T           weights in memory: f32 (default), bf16 or int8 (the\n"
    "                      CPU's matrix engines through oneDNN's matmul; the\n"
    "                      kernel it picked is printed), f16 (AVX512-FP16\n"
    "                      where the CPU has it, else fp32 math); a run that\n"
    "                      is not f32 also reports its agreement with f32 on\n"
    "                      the same pairs. bf16 runs as f16 on AVX512-FP16, or\n"
    "                      widens to fp32, where the CPU's bf16 products are\n"
    "                      slower than fp32 ones (no AVX512-BF16, or issued\n"
    "                      slowly); FINECAT_BF16_MATMUL=1 or 0 in the\n"
    "                      environment forces oneDNN's bf16 matmul or not, and\n"
    "                      FINECAT_F16_KERNEL=0 turns the AVX512-FP16 kernel off\n"
    "  --file-dtype T      storage of the random checkpoint on disk: f32, bf16,\n"
    "                      f16 (default: f32; BERT and RoBERTa: f32 only)\n"
    "  --work-dir DIR      where the random checkpoint is written and kept\n"
    "                      (default: a new folder under /tmp, removed at the\n"
    "                      end, and on Ctrl-C or SIGTERM)\n"
    "  --data FILE         pairs to run, any format `finecat eval` reads\n"
    "                      (default: bench/pairs.jsonl, a fixed mix from every\n"
    "                      source)\n"
    "  --pairs N           use the first N pairs; 0 for all of them (default:\n"
    "                      64, two batches of a mix from every source; the\n"
    "                      full run is --pairs 0 --repeats 3)\n"
    "  --batch-size N      pairs per forward (default: 32)\n"
    "  --max-length N      truncate pairs to N tokens (default: the model's)\n"
    "  --threads N         threads for kernels and BLAS (default: all cores)\n"
    "  --device D          where the forward runs: cpu, or cuda (an NVIDIA GPU;\n"
    "                      ModernBERT with f32 weights, in a build made with\n"
    "                      make CUDA=1); cuda adds device memory and skips the\n"
    "                      CPU GEMM probe (default: cpu)\n"
    "  --repeats N         timed passes; the best is reported (default: 2)\n"
    "  --no-gemm-probe     skip measuring the GEMM rate\n"
    "  --json FILE         also write the results as JSON ('-': stdout)\n"
    "  --quiet             no progress on standard error\n"
    "  -h, --help          show this help\n"
    "\n"
    "Example:\n"
    "  finecat bench --config ../shared/data/tokenizers/ModernBERT-large/config.json \\\n"
    "      --random-weights --threads 2 --json large.json\n";

// Device memory of a run on the GPU (measured = 0 on the CPU).
typedef struct device_memory {
    int measured;
    double peak_mb;  // the most finecat held at once: weights, activations, RoPE tables
    double used_mb;  // in use on the whole device after the run (adds the CUDA context and
    double total_mb; // cuBLAS's workspace)
} device_memory;

static device_memory measure_device_memory(int device) {
    device_memory d = {0};
#ifdef FC_WITH_CUDA
    fc_cuda_memory info;
    fc_error err;
    if (device == FC_DEVICE_CUDA && fc_cuda_memory_info(&info, &err) == 0)
        d = (device_memory){1, info.peak_allocated / 1048576.0, info.device_used / 1048576.0,
                            info.device_total / 1048576.0};
#endif
    return d;
}

// The kernel the dense layers of a dtype run on, as oneDNN dispatches it on this CPU (its
// own name, e.g. "brg:avx512_core_amx_bf16"), so that the figures can be read.
static const char *dense_kernel(const char *dtype, char *buf, size_t size) {
    if (strcmp(dtype, "f32") == 0) return "dnnl_sgemm (fp32)";
    fc_lowp_format format = strcmp(dtype, "int8") == 0   ? FC_LOWP_INT8
                            : strcmp(dtype, "bf16") == 0 ? FC_LOWP_BF16
                                                         : FC_LOWP_F16;
    const char *name = fc_lowp_kernel_name(format, 1024, 1024);
    if (format == FC_LOWP_INT8)
        snprintf(buf, size, "%s (oneDNN matmul, %d-bit activations)", name,
                 fc_int8_activation_bits());
    else if (format == FC_LOWP_BF16 && fc_lowp_bf16_on_matmul())
        snprintf(buf, size, "%s (oneDNN matmul)", name);
    else
        snprintf(buf, size, "%s", name);
    return buf;
}

static void write_json(FILE *f, const char *model, const char *dtype, const fc_bench_result *r,
                       int batch_size, const fc_logit_agreement *agreement,
                       const device_memory *gpu) {
    char kernel[192];
    fprintf(f,
            "{\"model\":\"%s\",\"dtype\":\"%s\",\"pairs\":%zu,\"batch_size\":%d,\"threads\":%d,"
            "\"tokens\":%zu,\"padded_tokens\":%zu,\"padding_waste_if_padded\":%.4f,"
            "\"samples_per_second\":%.3f,\"tokens_per_second\":%.1f,"
            "\"tokenize_seconds\":%.4f,\"forward_seconds\":%.4f,\"total_seconds\":%.4f,"
            "\"gflop\":%.3f,\"gflops\":%.2f,\"gemm_gflops\":%.2f,\"fraction_of_gemm\":%.4f,"
            "\"peak_rss_mb\":%.1f,\"dense_kernel\":\"%s\"",
            model, dtype, r->pairs, batch_size, r->threads, r->tokens, r->padded_tokens,
            r->padded_tokens ? 1.0 - (double)r->tokens / (double)r->padded_tokens : 0.0,
            r->samples_per_second, r->tokens_per_second, r->tokenize_seconds, r->forward_seconds,
            r->total_seconds, r->flops / 1e9, r->gflops, r->gemm_gflops,
            r->gemm_gflops > 0 ? r->gflops / r->gemm_gflops : 0.0,
            r->peak_rss_bytes / 1048576.0, dense_kernel(dtype, kernel, sizeof kernel));
    if (agreement)
        fprintf(f, ",\"max_abs_diff_vs_f32\":%.6g,\"argmax_agreement_vs_f32\":%.6f",
                agreement->max_abs_diff, agreement->argmax_agreement);
    if (gpu->measured)
        fprintf(f, ",\"device\":\"cuda\",\"device_peak_mb\":%.1f,\"device_used_mb\":%.1f",
                gpu->peak_mb, gpu->used_mb);
    fprintf(f, "}\n");
}

static void print_table(const char *model, const char *dtype, const fc_bench_result *r,
                        const fc_logit_agreement *agreement, const device_memory *gpu) {
    char kernel[192];
    printf("model            %s (%s)\n", model, dtype);
    printf("dense kernel     %s\n", dense_kernel(dtype, kernel, sizeof kernel));
    printf("pairs            %zu, %zu tokens (%.1f per pair), %d threads\n", r->pairs, r->tokens,
           (double)r->tokens / r->pairs, r->threads);
    printf("samples/s        %.2f\n", r->samples_per_second);
    printf("tokens/s         %.1f\n", r->tokens_per_second);
    printf("time             %.3f s (tokenize %.3f s, forward %.3f s)\n", r->total_seconds,
           r->tokenize_seconds, r->forward_seconds);
    printf("padding          none (packed); padded batches would add %.1f%% tokens\n",
           r->tokens ? 100.0 * ((double)r->padded_tokens / r->tokens - 1.0) : 0.0);
    if (r->flops > 0) {
        printf("forward          %.1f GFLOP/s", r->gflops);
        if (r->gemm_gflops > 0)
            printf(" = %.0f%% of the measured GEMM rate (%.1f GFLOP/s)", 100.0 * r->gflops / r->gemm_gflops,
                   r->gemm_gflops);
        printf("\n");
    }
    printf("peak memory      %.1f MB resident\n", r->peak_rss_bytes / 1048576.0);
    if (gpu->measured)
        printf("device memory    %.1f MB peak held by finecat; %.1f of %.1f MB in use on the "
               "GPU\n", gpu->peak_mb, gpu->used_mb, gpu->total_mb);
    if (agreement)
        printf("vs f32           max |logit diff| %.4g, argmax agreement %.2f%%\n",
               agreement->max_abs_diff, 100.0 * agreement->argmax_agreement);
}

// fp32 logits of the pairs, from a model loaded for this alone and freed before the measured
// run (whose peak memory is then its own).
static float *f32_reference(const char *model_dir, const fc_pair *pairs, size_t n,
                            const fc_bench_options *options, fc_error *err) {
    fc_model *model = NULL;
    if (fc_model_load(model_dir, &model, err) != 0) return NULL;
    fc_nli_options nli = fc_nli_default_options();
    nli.max_length = options->max_length;
    nli.batch_size = options->batch_size;
    float *logits = fc_malloc((n ? n : 1) * (size_t)fc_model_num_labels(model) * sizeof(float));
    if (fc_nli_logits(model, pairs, n, &nli, logits, err) != 0) {
        free(logits);
        logits = NULL;
    }
    fc_model_free(model);
    return logits;
}

static int load_pairs(const char *path, int limit, fc_dataset *data, fc_pair **pairs,
                      size_t *n) {
    fc_error err;
    fc_reader_options options = fc_reader_default_options();
    if (fc_dataset_read(path, FC_FORMAT_AUTO, &options, data, &err) != 0) {
        fprintf(stderr, "finecat: %s\n", err.message);
        return -1;
    }
    *n = data->count;
    if (limit > 0 && (size_t)limit < *n) *n = (size_t)limit;
    *pairs = fc_malloc((*n ? *n : 1) * sizeof **pairs);
    for (size_t i = 0; i < *n; i++) {
        (*pairs)[i].premise = data->records[i].premise;
        (*pairs)[i].hypothesis = data->records[i].hypothesis;
    }
    return 0;
}

static int run(int argc, char **argv) {
    const char *model_dir = NULL, *config = NULL, *work_dir = NULL, *data_path = NULL,
               *json_path = NULL;
    int random_weights = 0, file_dtype = 0, weights_dtype = 0, pairs_limit = 64, threads = 0,
        no_probe = 0, device = FC_DEVICE_CPU, quiet = 0;
    static const char *const devices[] = {"cpu", "cuda", NULL}; // indexed by fc_device
    static const char *const file_dtypes[] = {"f32", "bf16", "f16", NULL};
    static const char *const weight_dtypes[] = {"f32", "bf16", "f16", "int8", NULL};
    fc_bench_options options = fc_bench_default_options();
    const fc_arg_option table[] = {
        {"--model", FC_ARG_STRING, &model_dir, 0, NULL},
        {"--config", FC_ARG_STRING, &config, 0, NULL},
        {"--random-weights", FC_ARG_FLAG, &random_weights, 0, NULL},
        {"--dtype", FC_ARG_CHOICE, &weights_dtype, 0, weight_dtypes},
        {"--file-dtype", FC_ARG_CHOICE, &file_dtype, 0, file_dtypes},
        {"--work-dir", FC_ARG_STRING, &work_dir, 0, NULL},
        {"--data", FC_ARG_STRING, &data_path, 0, NULL},
        {"--pairs", FC_ARG_INT, &pairs_limit, 0, NULL},
        {"--batch-size", FC_ARG_INT, &options.batch_size, 1, NULL},
        {"--max-length", FC_ARG_INT, &options.max_length, 1, NULL},
        {"--threads", FC_ARG_INT, &threads, 1, NULL},
        {"--device", FC_ARG_CHOICE, &device, 0, devices},
        {"--repeats", FC_ARG_INT, &options.repeats, 1, NULL},
        {"--no-gemm-probe", FC_ARG_FLAG, &no_probe, 0, NULL},
        {"--json", FC_ARG_STRING, &json_path, 0, NULL},
        {"--quiet", FC_ARG_FLAG, &quiet, 0, NULL},
    };
    int n_positional = 0;
    fc_args_result parsed =
        fc_args_parse("bench", argc, argv, table, sizeof table / sizeof table[0], &n_positional);
    if (parsed == FC_ARGS_HELP) {
        fputs(usage, stdout);
        return FC_EXIT_OK;
    }
    if (parsed == FC_ARGS_ERROR) return FC_EXIT_USAGE;
    if (n_positional > 0) return fc_args_usage_error("bench", "unexpected argument '%s'", argv[1]);
    if (!model_dir == !config)
        return fc_args_usage_error("bench", "give either --model DIR or --config FILE");
    if (config && !random_weights)
        return fc_args_usage_error("bench", "--config needs --random-weights");
    if (model_dir && !(model_dir = fc_cli_hub_model("bench", model_dir))) return FC_EXIT_FAILURE;
    // The probe measures the CPU's GEMM, no yardstick for a forward on the GPU.
    if (no_probe || device == FC_DEVICE_CUDA) options.gemm_tokens = 0;
    options.progress = quiet ? NULL : stderr;
    if (threads > 0) {
        fc_set_threads(threads);
    }
    if (!data_path) data_path = "bench/pairs.jsonl";
    if (access(data_path, R_OK) != 0) {
        fprintf(stderr, "finecat: %s: %s%s\n", data_path, strerror(errno),
                strcmp(data_path, "bench/pairs.jsonl") == 0
                    ? " (the default pairs; run from the repository root or give --data)"
                    : "");
        return FC_EXIT_FAILURE;
    }

    fc_error err;
    int status = FC_EXIT_FAILURE;
    char made_dir[64] = "";
    const char *dtype_name = weight_dtypes[weights_dtype];
    if (config) {
        static const fc_dtype dtype_values[] = {FC_DTYPE_F32, FC_DTYPE_BF16, FC_DTYPE_F16};
        if (!work_dir) {
            snprintf(made_dir, sizeof made_dir, "/tmp/finecat-bench-XXXXXX");
            if (!mkdtemp(made_dir)) {
                fprintf(stderr, "finecat: cannot create a folder under /tmp: %s\n", strerror(errno));
                return FC_EXIT_FAILURE;
            }
            work_dir = made_dir;
            // Ctrl-C or SIGTERM from here on removes the folder (1.5 GB for a large model).
            fc_remove_on_signal(made_dir);
        }
        if (!quiet) fprintf(stderr, "writing a random-weight checkpoint to %s\n", work_dir);
        double start = fc_progress_now();
        if (fc_write_random_checkpoint(config, work_dir, 42, dtype_values[file_dtype], &err) != 0) {
            fprintf(stderr, "finecat: %s\n", err.message);
            goto cleanup;
        }
        if (!quiet)
            fprintf(stderr, "bench: random checkpoint written in %.1f s\n",
                    fc_progress_now() - start);
        model_dir = work_dir;
    }

    fc_dataset data = {0};
    fc_pair *pairs = NULL;
    size_t n = 0;
    fc_model *model = NULL;
    fc_bench_result result;
    float *reference = NULL, *logits = NULL;
    fc_logit_agreement agreement, *compared = NULL;
    if (load_pairs(data_path, pairs_limit, &data, &pairs, &n) != 0) goto cleanup;
    fc_model_options model_options = {.weights = (fc_weight_dtype)weights_dtype, .device = device};
    if (!quiet)
        fprintf(stderr, "bench: %zu pairs, batch %d, %d timed pass%s after one warm-up batch\n",
                n, options.batch_size, options.repeats, options.repeats == 1 ? "" : "es");
    // Writing the random checkpoint (--config) maps the whole file: without a reset its pages
    // would set the measured peak (1.5 GB for ModernBERT-large) whatever the dtype loaded.
    fc_peak_rss_reset();
    if (fc_model_load_with(model_dir, &model_options, &model, &err) != 0) {
        fprintf(stderr, "finecat: %s\n", err.message);
        goto done;
    }
    int num_labels = fc_model_num_labels(model);
    logits = fc_malloc((n ? n : 1) * (size_t)num_labels * sizeof(float));
    int ran = fc_bench_run(model, model_dir, pairs, n, &options, &result, logits, &err) == 0;
    device_memory gpu = measure_device_memory(device); // while the model is still held
    // The fp32 reference runs after the measured model is freed: run before, it left heap and
    // runtime state behind that counted toward the measured peak (12 MB for ModernBERT-large).
    fc_model_free(model);
    model = NULL;
    if (ran && weights_dtype != FC_WEIGHTS_F32 &&
        !(reference = f32_reference(model_dir, pairs, n, &options, &err)))
        ran = 0;
    if (!ran) {
        fprintf(stderr, "finecat: %s\n", err.message);
    } else {
        const char *name = config ? config : model_dir;
        if (reference) {
            agreement = fc_compare_logits(reference, logits, n, num_labels);
            compared = &agreement;
        }
        print_table(name, dtype_name, &result, compared, &gpu);
        if (json_path) {
            FILE *f = strcmp(json_path, "-") == 0 ? stdout : fopen(json_path, "w");
            if (!f) {
                fprintf(stderr, "finecat: %s: %s\n", json_path, strerror(errno));
            } else {
                write_json(f, name, dtype_name, &result, options.batch_size, compared, &gpu);
                if (f != stdout) fclose(f);
                status = FC_EXIT_OK;
            }
        } else {
            status = FC_EXIT_OK;
        }
    }
done:
    fc_model_free(model);
    free(reference);
    free(logits);
    free(pairs);
    fc_dataset_free(&data);
cleanup:
    if (made_dir[0]) {
        char cmd[128];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", made_dir);
        if (system(cmd) != 0) fprintf(stderr, "finecat: could not remove %s\n", made_dir);
        fc_remove_on_signal_clear();
    }
    return status;
}

const fc_command fc_command_bench = {"bench", "measure inference throughput on real pairs", usage,
                                     run};
