/* SHA-256 of a file through OpenSSL's EVP interface, read in 1 MiB blocks. */
#include <errno.h>
#include <openssl/evp.h>

#include "core/internal.h"
#include "jobfuse/plan.h"

#define JF__SHA_BLOCK (1u << 20)

/* Feed the whole file to ctx; 0, or -1 with errno set. */
static int digest_stream(EVP_MD_CTX *ctx, FILE *f, unsigned char *buf)
{
    size_t n;
    while ((n = fread(buf, 1, JF__SHA_BLOCK, f)) > 0)
        if (EVP_DigestUpdate(ctx, buf, n) != 1) {
            errno = EIO;
            return -1;
        }
    if (ferror(f)) {
        if (errno == 0)
            errno = EIO;
        return -1;
    }
    return 0;
}

static void to_hex(const unsigned char *md, unsigned len, char *out_hex)
{
    static const char digits[] = "0123456789abcdef";
    for (unsigned i = 0; i < len; i++) {
        out_hex[2 * i] = digits[md[i] >> 4];
        out_hex[2 * i + 1] = digits[md[i] & 15];
    }
    out_hex[2 * len] = '\0';
}

jf_status jf_sha256_file(const char *path, char out_hex[65])
{
    out_hex[0] = '\0';
    FILE *f = fopen(path, "rb");
    if (!f)
        return JF_EIO;
    unsigned char *buf = jf__malloc(JF__SHA_BLOCK);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned len = 0;
    jf_status st = JF_ENOMEM;
    if (buf && ctx) {
        errno = 0;
        st = EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1 &&
                     digest_stream(ctx, f, buf) == 0 &&
                     EVP_DigestFinal_ex(ctx, md, &len) == 1 && len == 32
                 ? JF_OK
                 : JF_EIO;
    }
    int saved = errno;
    EVP_MD_CTX_free(ctx);
    jf__free(buf);
    fclose(f);
    if (st == JF_OK)
        to_hex(md, len, out_hex);
    errno = saved;
    return st;
}
