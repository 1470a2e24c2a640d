/* Output files: written to a temporary file beside the target and renamed
 * into place, so a failure never leaves half a file. JSON scalars. */
#include <errno.h>
#include <math.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/internal.h"

/* Devices, pipes and the like are written in place: renaming a file over
 * them would replace them. A symbolic link is followed to its file. */
static int open_in_place(jf__out *out, const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0 || S_ISREG(st.st_mode))
        return 0;
    out->file = fopen(path, "w");
    return out->file ? 1 : -1;
}

int jf__out_open(jf__out *out, const char *path)
{
    memset(out, 0, sizeof *out);
    out->path = path;
    if (strcmp(path, "-") == 0) {
        out->file = stdout;
        return 0;
    }
    int direct = open_in_place(out, path);
    if (direct != 0)
        return direct > 0 ? 0 : -1;
    char *resolved = realpath(path, NULL); /* NULL when it does not exist yet */
    if (resolved) {
        out->resolved = jf__strdup(resolved);
        free(resolved);
        if (!out->resolved) {
            errno = ENOMEM;
            return -1;
        }
        out->path = path = out->resolved;
    }
    size_t n = strlen(path) + 16;
    out->tmp_path = jf__malloc(n);
    if (!out->tmp_path) {
        jf__free(out->resolved);
        out->resolved = NULL;
        errno = ENOMEM;
        return -1;
    }
    snprintf(out->tmp_path, n, "%s.tmp.XXXXXX", path);
    int fd = mkstemp(out->tmp_path);
    if (fd < 0 || !(out->file = fdopen(fd, "w"))) {
        int saved = errno;
        if (fd >= 0) {
            close(fd);
            unlink(out->tmp_path);
        }
        jf__free(out->tmp_path);
        jf__free(out->resolved);
        out->tmp_path = out->resolved = NULL;
        errno = saved;
        return -1;
    }
    fchmod(fd, 0644);
    return 0;
}

int jf__out_close(jf__out *out, int ok)
{
    if (!out->tmp_path) {
        int bad = fflush(out->file) != 0 || ferror(out->file);
        if (out->file != stdout)
            bad = fclose(out->file) != 0 || bad;
        jf__free(out->resolved);
        return ok && !bad ? 0 : -1;
    }
    ok = ok && fflush(out->file) == 0 && !ferror(out->file);
    ok = (fclose(out->file) == 0) && ok;
    if (ok && rename(out->tmp_path, out->path) != 0)
        ok = 0;
    int saved = errno;
    if (!ok)
        unlink(out->tmp_path);
    jf__free(out->tmp_path);
    jf__free(out->resolved);
    out->tmp_path = out->resolved = NULL;
    errno = saved;
    return ok ? 0 : -1;
}

void jf__json_put_string(FILE *f, const char *s)
{
    putc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"': fputs("\\\"", f); break;
        case '\\': fputs("\\\\", f); break;
        case '\n': fputs("\\n", f); break;
        case '\t': fputs("\\t", f); break;
        case '\r': fputs("\\r", f); break;
        default:
            if (*p < 0x20)
                fprintf(f, "\\u%04x", *p);
            else
                putc(*p, f);
        }
    }
    putc('"', f);
}

void jf__json_put_number(FILE *f, double v)
{
    if (!isfinite(v))
        fputs(v > 0 ? "1e308" : (v < 0 ? "-1e308" : "0"), f);
    else if (v == floor(v) && fabs(v) < 9007199254740992.0)
        fprintf(f, "%.0f", v);
    else
        fprintf(f, "%.17g", v);
}

FILE *jf__open_input(const char *path, char *why, size_t size)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        jf__fmt(why, size, "%s", strerror(errno));
        return NULL;
    }
    if (S_ISDIR(st.st_mode)) {
        jf__fmt(why, size, "is a directory, not a file");
        return NULL;
    }
    FILE *f = fopen(path, "rb");
    if (!f)
        jf__fmt(why, size, "%s", strerror(errno));
    return f;
}
