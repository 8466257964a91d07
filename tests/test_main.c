/* test_main.c: runs every suite in one process (CK_FORK=no), sharing one OpenCL context. */
#include <stdlib.h>

#include "ref.h"

int main(void)
{
    SRunner *sr = srunner_create(suite_ops());
    srunner_add_suite(sr, suite_hist());
    srunner_add_suite(sr, suite_grad());
    srunner_add_suite(sr, suite_data());
    srunner_add_suite(sr, suite_init());
    srunner_add_suite(sr, suite_train());
    srunner_add_suite(sr, suite_cli());
    srunner_add_suite(sr, suite_ckpt());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
