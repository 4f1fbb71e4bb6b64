/* Whole-file reads and atomic writes shared by every reader and writer. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lrnn/io.h"

lrnn_status lrnn_file_read_all(const char *path, size_t max_size, void **bytes, size_t *size) {
    *bytes = NULL;
    *size = 0;
    FILE *f = fopen(path, "rb");
    if (!f) return lrnn_fail(LRNN_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        fclose(f);
        return lrnn_fail(LRNN_ERR_IO, "%s: not a regular file", path);
    }
    if ((unsigned long long)st.st_size > max_size) {
        fclose(f);
        return lrnn_fail(LRNN_ERR_NOMEM, "%s: file of %lld bytes exceeds the limit of %zu", path,
                         (long long)st.st_size, max_size);
    }
    size_t n = (size_t)st.st_size;
    unsigned char *buf = malloc(n + 1);
    if (!buf) {
        fclose(f);
        return lrnn_fail(LRNN_ERR_NOMEM, "%s: cannot allocate %zu bytes", path, n);
    }
    size_t got = fread(buf, 1, n, f);
    int err = ferror(f);
    fclose(f);
    if (got != n || err) {
        free(buf);
        return lrnn_fail(LRNN_ERR_IO, "%s: read %zu of %zu bytes", path, got, n);
    }
    buf[n] = '\0'; /* text parsers may rely on a terminator; not counted in size */
    *bytes = buf;
    *size = n;
    return LRNN_OK;
}

void lrnn_tmp_path(const char *path, char *buf, size_t cap) {
    snprintf(buf, cap, "%s.tmp.%ld", path, (long)getpid());
}

lrnn_status lrnn_file_write_atomic(const char *path, const void *bytes, size_t size) {
    char tmp[4096];
    lrnn_tmp_path(path, tmp, sizeof tmp);
    FILE *f = fopen(tmp, "wb");
    if (!f) return lrnn_fail(LRNN_ERR_IO, "%s: cannot create: %s", tmp, strerror(errno));
    size_t put = size ? fwrite(bytes, 1, size, f) : 0;
    int ok = put == size && fflush(f) == 0 && fsync(fileno(f)) == 0;
    int saved = errno;
    if (fclose(f) != 0) ok = 0;
    if (!ok) {
        remove(tmp);
        return lrnn_fail(LRNN_ERR_IO, "%s: write failed: %s", path, strerror(saved));
    }
    if (rename(tmp, path) != 0) {
        saved = errno;
        remove(tmp);
        return lrnn_fail(LRNN_ERR_IO, "%s: cannot rename temporary file: %s", path,
                         strerror(saved));
    }
    return LRNN_OK;
}
