#include "hub/hub_digest.h"

#include <ctype.h>
#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "util/error.h"

fc_hub_digest_kind fc_hub_digest_kind_of(const char *etag) {
    size_t n = 0;
    for (; etag[n]; n++)
        if (!isxdigit((unsigned char)etag[n]) || isupper((unsigned char)etag[n])) return FC_HUB_DIGEST_NONE;
    return n == 64 ? FC_HUB_DIGEST_SHA256 : n == 40 ? FC_HUB_DIGEST_GIT_SHA1 : FC_HUB_DIGEST_NONE;
}

int fc_hub_digest_file(const char *path, fc_hub_digest_kind kind, char *hex, fc_error *err) {
    hex[0] = '\0';
    if (kind == FC_HUB_DIGEST_NONE) return 0;
    FILE *f = fopen(path, "rb");
    if (!f) return fc_fail(err, "%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fileno(f), &st) != 0) {
        fclose(f);
        return fc_fail(err, "%s: cannot stat: %s", path, strerror(errno));
    }
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int ok = ctx && EVP_DigestInit_ex(ctx, kind == FC_HUB_DIGEST_SHA256 ? EVP_sha256() : EVP_sha1(), NULL);
    if (ok && kind == FC_HUB_DIGEST_GIT_SHA1) {
        char header[64];
        int n = snprintf(header, sizeof header, "blob %lld", (long long)st.st_size);
        ok = EVP_DigestUpdate(ctx, header, (size_t)n + 1); // with its NUL, as git hashes it
    }
    unsigned char buffer[1 << 16];
    size_t got;
    while (ok && (got = fread(buffer, 1, sizeof buffer, f)) > 0) ok = EVP_DigestUpdate(ctx, buffer, got);
    int read_error = ferror(f);
    fclose(f);
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (ok) ok = EVP_DigestFinal_ex(ctx, digest, &length);
    EVP_MD_CTX_free(ctx);
    if (read_error) return fc_fail(err, "%s: read error", path);
    if (!ok) return fc_fail(err, "%s: the digest could not be computed (OpenSSL)", path);
    for (unsigned int i = 0; i < length; i++) sprintf(hex + 2 * i, "%02x", digest[i]);
    return 0;
}
