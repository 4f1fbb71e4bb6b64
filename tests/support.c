#include "support.h"

#include <dirent.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lrnn/rng.h"

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

void test_random_inputs(uint64_t seed, size_t trials, size_t T, size_t U, double *u) {
    lrnn_rng r;
    lrnn_rng_init(&r, seed, LRNN_RNG_SAMPLE, 0, 0);
    for (size_t j = 0; j < trials; j++)
        for (size_t t = 0; t < T; t++)
            for (size_t k = 0; k < U; k++)
                u[(j * T + t) * U + k] =
                    t % 5 == 0 ? lrnn_rng_normal(&r) : u[(j * T + t - 1) * U + k];
}
