// The digests by which the hub names its files, to check a download against its etag: the
// sha256 of the content for LFS files (model weights), and git's blob sha1
// (sha1 of "blob <size>\0" followed by the content) for files kept in git itself.
#ifndef FC_HUB_DIGEST_H
#define FC_HUB_DIGEST_H

#include "finecat.h"

typedef enum fc_hub_digest_kind {
    FC_HUB_DIGEST_NONE = 0, // an etag that is neither: nothing to check
    FC_HUB_DIGEST_GIT_SHA1, // 40 hex digits
    FC_HUB_DIGEST_SHA256,   // 64 hex digits
} fc_hub_digest_kind;

// Which digest an etag is, by its length in lower-case hex digits.
fc_hub_digest_kind fc_hub_digest_kind_of(const char *etag);

// The digest of the file at path as lower-case hex (hex must hold 65 bytes).
int fc_hub_digest_file(const char *path, fc_hub_digest_kind kind, char *hex, fc_error *err);

#endif
