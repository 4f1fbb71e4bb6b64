#include "targets.h"

#include <string.h>

#include "lrnn/io.h"

/* Besides not crashing, an accepted array must be self-consistent: every element readable. */
static void touch_all(const lrnn_array *a) {
    volatile double sink = 0.0;
    size_t n = lrnn_array_count(a);
    for (size_t i = 0; i < n; i++) sink += lrnn_array_get_f64(a, i);
    (void)sink;
}

int lrnn_fuzz_one(const char *which, const uint8_t *data, size_t size) {
    lrnn_array a;
    lrnn_status s;
    if (strcmp(which, "npy") == 0)
        s = lrnn_npy_parse(data, size, "fuzz.npy", &a);
    else if (strcmp(which, "npz") == 0)
        s = lrnn_npz_parse(data, size, "fuzz.npz", NULL, &a);
    else if (strcmp(which, "csv") == 0)
        s = lrnn_csv_parse((const char *)data, size, "fuzz.csv", &a, NULL);
    else
        return -1;
    if (s == LRNN_OK) {
        touch_all(&a);
        lrnn_array_free(&a);
    }
    return 0;
}
