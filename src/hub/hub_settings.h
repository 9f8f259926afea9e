// Where the hub is and where its cache lives, read from the environment with the names and
// defaults of huggingface_hub (constants.py), so finecat and transformers share one cache.
#ifndef FC_HUB_SETTINGS_H
#define FC_HUB_SETTINGS_H

typedef struct fc_hub_settings {
    char *endpoint;  // $HF_ENDPOINT without a trailing '/', default https://huggingface.co
    char *cache_dir; // $HF_HUB_CACHE, else $HUGGINGFACE_HUB_CACHE, else $HF_HOME/hub
    char *token;     // $HF_TOKEN, else $HUGGING_FACE_HUB_TOKEN, else the file $HF_TOKEN_PATH
                     // (default $HF_HOME/token); NULL when none
    int offline;     // $HF_HUB_OFFLINE (or TRANSFORMERS_OFFLINE) is 1, ON, YES or TRUE
} fc_hub_settings;

// Reads the settings; $HF_HOME defaults to $XDG_CACHE_HOME/huggingface, else
// ~/.cache/huggingface. A leading "~/" is expanded as huggingface_hub's expanduser does.
void fc_hub_settings_read(fc_hub_settings *settings);
void fc_hub_settings_free(fc_hub_settings *settings);

#endif
