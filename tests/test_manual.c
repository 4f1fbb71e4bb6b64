/* The example of include/lrnn/lrnn.h, compiled and run against the umbrella header, so the
 * manual's code keeps working. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "lrnn/lrnn.h"
#include "support.h"

static void manual_example_runs(void **state) {
    (void)state;
    lrnn_model_config c = lrnn_model_default_config();
    c.rank = 3, c.units = 512, c.channels = 64;
    lrnn_model *model = NULL;
    assert_int_equal(lrnn_model_create(&c, &model), LRNN_OK);
    lrnn_sample_params p = lrnn_sample_default_params();
    p.trials = 2, p.steps = 1000, p.seed = 7;
    double *y = malloc(2 * 1000 * 64 * sizeof *y);
    lrnn_sample_output out = {.observations = y};
    assert_int_equal(lrnn_model_sample(model, &p, &out), LRNN_OK);
    assert_int_equal(lrnn_model_save(model, test_path("manual_model.h5"), NULL), LRNN_OK);
    free(y);
    lrnn_model_free(model);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(manual_example_runs)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
