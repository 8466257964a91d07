/* test_main.c: runs every suite in one process (CK_FORK=no), sharing one OpenCL context. */
#define _POSIX_C_SOURCE 200809L
#include <signal.h>
#include <stdlib.h>

#include "idxfile.h"
#include "helpers.h"

int main(void)
{
    /* the runs the tests start get the signal actions of a terminal's, whatever started these */
    const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGPIPE};
    for (int i = 0; i < 4; i++)
        signal(sigs[i], SIG_DFL);
    /* no parameters of a real `clnet tune` on this machine reach the tests */
    char cache[] = "/tmp/clnet-test-cache-XXXXXX";
    if (!mkdtemp(cache))
        return EXIT_FAILURE;
    setenv("CLNET_CACHE_DIR", cache, 1);
    SRunner *sr = srunner_create(suite_ops());
    srunner_add_suite(sr, suite_hist());
    srunner_add_suite(sr, suite_grad());
    srunner_add_suite(sr, suite_data());
    srunner_add_suite(sr, suite_init());
    srunner_add_suite(sr, suite_train());
    srunner_add_suite(sr, suite_cli());
    srunner_add_suite(sr, suite_ckpt());
    srunner_add_suite(sr, suite_faults());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    remove_dir(cache);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
