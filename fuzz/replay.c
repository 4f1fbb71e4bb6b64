/* Replays a fuzz corpus directory through one parser: the regression test for every crasher
 * libFuzzer ever found. Usage: fuzz_corpus_replay npy|npz|csv DIR */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>

#include "lrnn/io.h"
#include "targets.h"

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: %s npy|npz|csv DIR\n", argv[0]);
        return 2;
    }
    DIR *dir = opendir(argv[2]);
    if (!dir) {
        fprintf(stderr, "cannot open corpus directory %s\n", argv[2]);
        return 1;
    }
    int files = 0;
    for (struct dirent *e; (e = readdir(dir));) {
        if (e->d_name[0] == '.') continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", argv[2], e->d_name);
        void *bytes = NULL;
        size_t size = 0;
        if (lrnn_file_read_all(path, (size_t)1 << 26, &bytes, &size) != LRNN_OK) {
            fprintf(stderr, "%s\n", lrnn_last_error());
            closedir(dir);
            return 1;
        }
        if (lrnn_fuzz_one(argv[1], bytes, size) != 0) {
            fprintf(stderr, "unknown target %s\n", argv[1]);
            free(bytes);
            closedir(dir);
            return 2;
        }
        free(bytes);
        files++;
    }
    closedir(dir);
    printf("%d %s corpus files replayed cleanly\n", files, argv[1]);
    return files > 0 ? 0 : 1;
}
