// The model every command uses when --model is not given: the NLI model that ships in the
// repository (models/finecat-nli-minilm, made by recipe/run.sh), found without configuration.
#ifndef FC_CLI_DEFAULT_MODEL_H
#define FC_CLI_DEFAULT_MODEL_H

#define FC_DEFAULT_MODEL_NAME "finecat-nli-minilm"

// The folder to load: `given` when not NULL; else $FINECAT_MODEL; else the first existing
// models/finecat-nli-minilm beside the program (EXE/../models, as build/finecat sits in the
// repository; EXE/../share/finecat/models, where `make install` puts it) or in the working
// directory. NULL, after printing on stderr where it looked,
// when there is none: the caller then reports a usage error.
const char *fc_cli_model_dir(const char *command, const char *given);

// A --model value for commands that read the folder's files themselves (convert, bench, the
// curate model passes, train --init): a hub id ("org/name[@revision]") that names no folder
// becomes its snapshot folder in the hub cache, pulled when absent (fc_model_path_resolve);
// anything else comes back as given. NULL, after printing why on stderr, when the pull fails.
const char *fc_cli_hub_model(const char *command, const char *model);

#endif
