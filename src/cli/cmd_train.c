// `finecat train`: distills a ModernBERT NLI student (src/train/train.h does the work).
#include <errno.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


#include "kernels/cpu/gemm.h"
#include "cli/args.h"
#include "cli/commands.h"
#include "cli/default_model.h"
#include "dist/dist.h"
#include "finecat.h"
#include "train/train.h"
#include "util/alloc.h"

static const char usage[] =
    "Usage: finecat train --init DIR|config.json --data TRAIN --out DIR [OPTIONS]\n"
    "\n"
    "Trains a ModernBERT, BERT or RoBERTa NLI classifier with the FineCat distillation loss\n"
    "  L = alpha * CE(student logits, gold label) + beta * MSE(student logits, teacher logits)\n"
    "CE is the mean over the batch; MSE the mean over the rows that carry \"teacher_logits\"\n"
    "([entailment, neutral, contradiction], mapped to the model's own label order); rows\n"
    "without them add to CE only. alpha defaults to 0.5 when the data has teacher logits and\n"
    "to 1 when no row has any (L = CE: a 0.5 would silently halve the learning rate); --alpha\n"
    "sets it either way. The run prints the loss it optimizes, with its numbers, first.\n"
    "AdamW (no decay on norms and biases), gradient clipping, linear or cosine schedule with\n"
    "warmup, fp32 master weights.\n"
    "\n"
    "Data: JSON Lines records {\"premise\", \"hypothesis\", \"label\", \"teacher_logits\"?} (label a\n"
    "name or canonical index 0=entailment 1=neutral 2=contradiction), or any native NLI file\n"
    "finecat reads (SNLI CSV/JSONL, MNLI, ANLI, LingNLI, WANLI, ...); rows without a gold label\n"
    "are skipped.\n"
    "\n"
    "Output folder DIR:\n"
    "  checkpoint-STEP/   every --save-every steps and at the end: a Hugging Face checkpoint\n"
    "                     (config.json, model.safetensors, tokenizer files) plus\n"
    "                     optimizer.safetensors, trainer_state.json and train_log.csv\n"
    "  model/             the final model (a Hugging Face checkpoint, for predict or transformers)\n"
    "  train_log.csv      one row per step: loss, ce, mse, lr, grad_norm, samples/s, eval accuracy\n"
    "  train_plot.svg     loss and eval accuracy curves\n"
    "Folders are written under a temporary name and renamed when complete. An --out that\n"
    "already holds a run is refused unless --resume continues it or --overwrite deletes it\n"
    "(its train_log.csv, train_plot.svg, checkpoint-N/ and model/; nothing else).\n"
    "\n"
    "Options:\n"
    "  --init PATH           a *ForSequenceClassification checkpoint folder (modernbert, bert,\n"
    "                        roberta), a ModernBertForMaskedLM folder or a bare BERT/RoBERTa\n"
    "                        encoder (BertModel, *ForMaskedLM, a sentence-transformers folder;\n"
    "                        head initialized fresh), or a config.json (random init as\n"
    "                        transformers does); required unless --resume. BERT-family models\n"
    "                        train with the config's dropout (hidden_dropout_prob,\n"
    "                        attention_probs_dropout_prob, classifier_dropout)\n"
    "  --keep-layers LIST    BERT/RoBERTa only: keep these encoder layers of --init, e.g. 0,2,4\n"
    "                        for a 3-layer student of a 6-layer model (default: all)\n"
    "  --tokenizer DIR       folder with tokenizer.json (default: the --init folder, or the folder\n"
    "                        of the config.json; with --resume, the checkpoint)\n"
    "  --data FILE           training data; required\n"
    "  --eval NAME=FILE      a held-out set to report accuracy on (repeatable)\n"
    "  --out DIR             output folder; required\n"
    "  --resume PATH         continue from checkpoint-STEP (or a run folder: its latest\n"
    "                        checkpoint) with the same options; reproduces the uninterrupted run\n"
    "  --overwrite           --out holds an earlier run: delete it and start over\n"
    "  --alpha X             weight of CE (default: 0.5 with teacher logits in the data, 1\n"
    "                        without)\n"
    "  --beta X              weight of MSE on teacher logits (default 0.5)\n"
    "  --lr X                peak learning rate (default 5e-5)\n"
    "  --weight-decay X      decoupled weight decay, not on norms and biases (default 0.01)\n"
    "  --max-grad-norm X     clip the global gradient norm; 0 disables (default 1.0)\n"
    "  --batch-size N        pairs per micro-batch (default 32); under mpirun, of all ranks\n"
    "                        together: each rank computes its share of every batch, so any\n"
    "                        rank count trains the same model (and resumes any checkpoint)\n"
    "  --grad-accum N        micro-batches per optimizer step (default 1)\n"
    "  --epochs X            passes over the data (default 1; ignored with --steps)\n"
    "  --steps N             optimizer steps\n"
    "  --warmup N|X          warmup steps, or a fraction of the steps when below 1 (default 0)\n"
    "  --schedule NAME       linear or cosine decay after warmup (default linear)\n"
    "  --max-length N        truncate pairs to N tokens, longest text first (default 256)\n"
    "  --seed N              data order and fresh weights (default 42)\n"
    "  --eval-every N        evaluate every N steps (default: at the end only)\n"
    "  --save-every N        checkpoint every N steps (default: at the end only)\n"
    "  --eval-batch-size N   pairs per evaluation forward (default 64)\n"
    "  --threads N           CPU threads (default: all)\n"
    "  --quiet               no progress on standard error (progress: one line per step, a\n"
    "                        bar with rate and ETA on a terminal)\n"
    "  -h, --help            show this help\n"
    "\n"
    "Example:\n"
    "  finecat train --init student/config.json --tokenizer tokenizers/ModernBERT-large \\\n"
    "      --data train.jsonl --eval snli=snli_test.csv --out runs/student --lr 3e-4 \\\n"
    "      --batch-size 32 --epochs 2 --warmup 0.06 --eval-every 100\n";

// Collects every "--eval NAME=FILE" (or "--eval=NAME=FILE") and removes them from argv.
static int take_evals(int *argc, char **argv, fc_train_eval_set **evals, int *n) {
    int kept = 1;
    for (int i = 1; i < *argc; i++) {
        const char *value = NULL;
        if (strcmp(argv[i], "--") == 0) { // options end: keep the rest as is
            while (i < *argc) argv[kept++] = argv[i++];
            break;
        }
        if (strcmp(argv[i], "--eval") == 0) {
            if (i + 1 >= *argc) return fc_args_usage_error("train", "--eval needs a value");
            value = argv[++i];
        } else if (strncmp(argv[i], "--eval=", 7) == 0) {
            value = argv[i] + 7;
        } else {
            argv[kept++] = argv[i];
            continue;
        }
        const char *eq = strchr(value, '=');
        if (!eq || eq == value || !eq[1])
            return fc_args_usage_error("train", "--eval: expected NAME=FILE, got '%s'", value);
        *evals = fc_realloc(*evals, (size_t)(*n + 1) * sizeof **evals);
        (*evals)[*n].name = fc_strndup(value, (size_t)(eq - value));
        (*evals)[*n].path = eq + 1;
        (*n)++;
    }
    *argc = kept;
    return 0;
}

static int parse_number(const char *option, const char *text, double min, double *out) {
    if (!text) return 0;
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (*text == '\0' || *end != '\0' || errno == ERANGE || !isfinite(v))
        return fc_args_usage_error("train", "%s: '%s' is not a number", option, text);
    if (v < min) return fc_args_usage_error("train", "%s: %g is too small (at least %g)", option, v, min);
    *out = v;
    return 0;
}

static int parse_options(int argc, char **argv, fc_train_options *o, int *threads, int *done) {
    static const char *const schedules[] = {"linear", "cosine", NULL};
    const char *alpha = NULL, *beta = NULL, *lr = NULL, *wd = NULL, *clip = NULL, *epochs = NULL,
               *warmup = NULL, *steps = NULL, *seed = NULL;
    int schedule = 0, quiet = 0, eval_every = 0, save_every = 0;
    const fc_arg_option options[] = {
        {.name = "--init", .kind = FC_ARG_STRING, .target = &o->init},
        {.name = "--keep-layers", .kind = FC_ARG_STRING, .target = &o->keep_layers},
        {.name = "--tokenizer", .kind = FC_ARG_STRING, .target = &o->tokenizer},
        {.name = "--data", .kind = FC_ARG_STRING, .target = &o->data},
        {.name = "--out", .kind = FC_ARG_STRING, .target = &o->out},
        {.name = "--resume", .kind = FC_ARG_STRING, .target = &o->resume},
        {.name = "--overwrite", .kind = FC_ARG_FLAG, .target = &o->overwrite},
        {.name = "--alpha", .kind = FC_ARG_STRING, .target = &alpha},
        {.name = "--beta", .kind = FC_ARG_STRING, .target = &beta},
        {.name = "--lr", .kind = FC_ARG_STRING, .target = &lr},
        {.name = "--weight-decay", .kind = FC_ARG_STRING, .target = &wd},
        {.name = "--max-grad-norm", .kind = FC_ARG_STRING, .target = &clip},
        {.name = "--batch-size", .kind = FC_ARG_INT, .target = &o->batch_size, .min_value = 1},
        {.name = "--grad-accum", .kind = FC_ARG_INT, .target = &o->grad_accum, .min_value = 1},
        {.name = "--epochs", .kind = FC_ARG_STRING, .target = &epochs},
        {.name = "--steps", .kind = FC_ARG_STRING, .target = &steps},
        {.name = "--warmup", .kind = FC_ARG_STRING, .target = &warmup},
        {.name = "--schedule", .kind = FC_ARG_CHOICE, .target = &schedule, .choices = schedules},
        {.name = "--max-length", .kind = FC_ARG_INT, .target = &o->max_length, .min_value = 3},
        {.name = "--seed", .kind = FC_ARG_STRING, .target = &seed},
        {.name = "--eval-every", .kind = FC_ARG_INT, .target = &eval_every, .min_value = 0},
        {.name = "--save-every", .kind = FC_ARG_INT, .target = &save_every, .min_value = 0},
        {.name = "--eval-batch-size", .kind = FC_ARG_INT, .target = &o->eval_batch_size,
         .min_value = 1},
        {.name = "--threads", .kind = FC_ARG_INT, .target = threads, .min_value = 1},
        {.name = "--quiet", .kind = FC_ARG_FLAG, .target = &quiet},
    };
    int n_positional = 0;
    switch (fc_args_parse("train", argc, argv, options, sizeof options / sizeof options[0],
                          &n_positional)) {
    case FC_ARGS_HELP: fputs(usage, stdout); *done = 1; return FC_EXIT_OK;
    case FC_ARGS_ERROR: return FC_EXIT_USAGE;
    case FC_ARGS_OK: break;
    }
    if (n_positional > 0) return fc_args_usage_error("train", "unexpected argument '%s'", argv[1]);
    double step_count = 0, seed_value = (double)o->seed, warmup_value = 0;
    if (parse_number("--alpha", alpha, 0, &o->alpha) || parse_number("--beta", beta, 0, &o->beta) ||
        parse_number("--lr", lr, 0, &o->lr) || parse_number("--weight-decay", wd, 0, &o->weight_decay) ||
        parse_number("--max-grad-norm", clip, 0, &o->max_grad_norm) ||
        parse_number("--epochs", epochs, 0, &o->epochs) || parse_number("--steps", steps, 1, &step_count) ||
        parse_number("--seed", seed, 0, &seed_value) || parse_number("--warmup", warmup, 0, &warmup_value))
        return FC_EXIT_USAGE;
    if (step_count != floor(step_count) || seed_value != floor(seed_value) || seed_value > 9007199254740992.0)
        return fc_args_usage_error("train", "--steps and --seed take whole numbers");
    o->steps = (long)step_count;
    o->seed = (uint64_t)seed_value;
    if (warmup_value < 1 && warmup_value > 0) { // a fraction of the steps
        o->warmup_steps = -1;
        o->warmup_ratio = warmup_value;
    } else {
        if (warmup_value != floor(warmup_value))
            return fc_args_usage_error("train", "--warmup: a whole number of steps or a fraction below 1");
        o->warmup_steps = (long)warmup_value;
    }
    o->schedule = schedule == 1 ? FC_SCHEDULE_COSINE : FC_SCHEDULE_LINEAR;
    o->eval_every = eval_every;
    o->save_every = save_every;
    o->log = quiet ? NULL : stderr;
    if (!o->data) return fc_args_usage_error("train", "missing --data FILE");
    if (!o->out) return fc_args_usage_error("train", "missing --out DIR");
    if (!o->init && !o->resume) return fc_args_usage_error("train", "missing --init PATH (or --resume)");
    if (o->init && !(o->init = fc_cli_hub_model("train", o->init))) return FC_EXIT_FAILURE;
    return FC_EXIT_OK;
}

int cmd_train(int argc, char **argv);
int cmd_train(int argc, char **argv) {
    fc_train_options o = fc_train_default_options();
    fc_train_eval_set *evals = NULL;
    int n_evals = 0, threads = 0, done = 0;
    int status = take_evals(&argc, argv, &evals, &n_evals);
    if (status == FC_EXIT_OK) status = parse_options(argc, argv, &o, &threads, &done);
    if (status == FC_EXIT_OK && !done) {
        o.evals = evals;
        o.n_evals = n_evals;
        if (threads > 0) { // the same count for OpenMP loops and BLAS, for reproducible runs
            fc_set_threads(threads);
        }
        fc_train_summary summary;
        fc_error err;
        if (fc_train_run(&o, &summary, &err) != 0) {
            fprintf(stderr, "finecat train: %s\n", err.message);
            status = FC_EXIT_FAILURE;
        } else if (o.log && fc_dist_rank() == 0) {
            fprintf(stderr, "done: %ld steps in %.1f s, last loss %.4f\n", summary.steps,
                    summary.seconds, summary.last_loss);
        }
    }
    for (int k = 0; k < n_evals; k++) free((char *)evals[k].name);
    free(evals);
    return status;
}

const fc_command fc_command_train = {
    .name = "train",
    .summary = "train (distill) a ModernBERT NLI classifier; checkpoints load in transformers",
    .usage = usage,
    .run = cmd_train,
};
