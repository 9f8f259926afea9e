// A stand-in for the Hugging Face hub on 127.0.0.1, for the hub suite (no network reaches
// this machine, nor CI's). It answers the two endpoints finecat uses, as the hub does:
//   GET  /api/models/{org}/{name}/revision/{rev}   {"id", "sha", "siblings": [{"rfilename"}]}
//   HEAD/GET /{org}/{name}/resolve/{rev}/{file}   X-Repo-Commit, ETag; LFS files (*.safetensors)
//        redirect (302) to CDN/cdn/{repo-key}/{sha256} with X-Linked-Etag and X-Linked-Size
//   GET  CDN/cdn/{repo-key}/{sha256}               the bytes, with Range support
// where CDN is a second port: another origin, as the hub's CDN is another host, so that
// neither finecat nor huggingface_hub follows the HEAD's redirect or sends the token there.
// and errors with the hub's X-Error-Code (RepoNotFound, RevisionNotFound, GatedRepo).
//
// Repositories, each holding the files of one fixture model folder at commit FAKE_HUB_COMMIT
// (revisions "main", "v1" and the commit itself):
//   finecat-test/tiny        as the hub serves a model
//   finecat-test/cut-short   the first CDN download of a blob stops after FAKE_HUB_CUT bytes
//                            (connection dropped); later ones honour Range
//   finecat-test/bad-sha     model.safetensors' X-Linked-Etag is not its sha256
//   finecat-test/gated       401 GatedRepo unless "Authorization: Bearer FAKE_HUB_TOKEN"
//   finecat-test/sharded     model.safetensors.index.json and one shard instead of
//                            model.safetensors
// Anything else is 404 RepoNotFound.
#ifndef FC_TESTS_FAKE_HUB_H
#define FC_TESTS_FAKE_HUB_H

#include <stddef.h>

#define FAKE_HUB_COMMIT "5f0c1d2e3a4b5c6d7e8f90a1b2c3d4e5f6a7b8c9"
#define FAKE_HUB_TOKEN "hf_fake_token_for_tests"
#define FAKE_HUB_CUT 300000
#define FAKE_HUB_SHARD "model-00001-of-00001.safetensors"

typedef struct fake_hub fake_hub;

// Serves the files of model_dir (config.json, model.safetensors, tokenizer files). NULL, with
// a message on stderr, when the folder cannot be read or the server cannot start.
fake_hub *fake_hub_start(const char *model_dir);
void fake_hub_stop(fake_hub *hub);

// "http://127.0.0.1:PORT", for HF_ENDPOINT.
const char *fake_hub_endpoint(const fake_hub *hub);

// The requests so far, one line each: "METHOD PATH range=N- auth=yes|no", N empty when no
// Range was asked for. The returned text is a copy to free().
char *fake_hub_log(fake_hub *hub);
void fake_hub_clear_log(fake_hub *hub);

// The sha256 (hex) of a file the hub serves, as its LFS etag; NULL when not served.
const char *fake_hub_sha256(const fake_hub *hub, const char *file);
// The git blob sha1 (hex) of a non-LFS file, its ETag.
const char *fake_hub_git_sha1(const fake_hub *hub, const char *file);

#endif
