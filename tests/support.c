#include "support.h"

#include <dirent.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char scratch[1024];

static const char *scratch_dir(void) {
    if (scratch[0]) return scratch;
    const char *base = getenv("LRNN_TEST_TMP");
    if (!base) base = "/tmp";
    mkdir(base, 0777);
    snprintf(scratch, sizeof scratch, "%s/t%ld", base, (long)getpid());
    mkdir(scratch, 0777);
    return scratch;
}

const char *test_path(const char *name) {
    static char paths[8][1200];
    static int next;
    char *p = paths[next++ % 8];
    snprintf(p, sizeof paths[0], "%s/%s", scratch_dir(), name);
    return p;
}

int test_file_exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0;
}

int test_no_temp_files(const char *path) {
    char dir_buf[1200], base_buf[1200], prefix[1300];
    snprintf(dir_buf, sizeof dir_buf, "%s", path);
    snprintf(base_buf, sizeof base_buf, "%s", path);
    const char *dir = dirname(dir_buf);
    snprintf(prefix, sizeof prefix, "%s.tmp.", basename(base_buf));
    DIR *d = opendir(dir);
    if (!d) return 1;
    int clean = 1;
    for (struct dirent *e; (e = readdir(d));)
        if (strncmp(e->d_name, prefix, strlen(prefix)) == 0) clean = 0;
    closedir(d);
    return clean;
}

void test_write_bytes(const char *path, const void *bytes, size_t size) {
    FILE *f = fopen(path, "wb");
    if (!f) return;
    fwrite(bytes, 1, size, f);
    fclose(f);
}
