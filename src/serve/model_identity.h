// The model's name and architecture for /info: the folder's name (text-embeddings-inference
// reports the model id it was started with; config.json's _name_or_path would name the
// checkpoint a model was trained from, nreimers/MiniLM-L6-H384-uncased for the shipped one),
// and config.json's model_type ("" when config.json cannot be read). Free both with free().
#ifndef FC_SERVE_MODEL_IDENTITY_H
#define FC_SERVE_MODEL_IDENTITY_H

void fc_model_identity(const char *dir, char **model_id, char **architecture);

#endif
