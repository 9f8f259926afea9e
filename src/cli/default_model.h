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

#endif
