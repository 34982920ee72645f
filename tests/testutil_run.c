/* testutil_run.c - running one configured benchmark in a test (kvbench's tests only). */
#include "tests/testutil_run.h"

#include "config/config.h"
#include "tests/testutil.h"
#include "workloads/run.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

int kvbt_run_kvbench(const char *const *args, const char *out, const char *err)
{
    static const char bin[] = KVB_TEST_BINARY_DIR "/kvbench";
    const char *argv[64] = {bin};
    size_t n = 1;
    for (; args[n - 1]; n++) {
        assert_true(n < 63);
        argv[n] = args[n - 1];
    }
    argv[n] = NULL;
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int efd = err ? open(err, O_WRONLY | O_CREAT | O_TRUNC, 0644) : fd;
        if (fd < 0 || efd < 0)
            _exit(127);
        dup2(fd, STDOUT_FILENO);
        dup2(efd, STDERR_FILENO);
        execv(bin, (char *const *)argv);
        _exit(127);
    }
    int ws;
    assert_int_equal(waitpid(pid, &ws, 0), pid);
    if (!WIFEXITED(ws))
        fail_msg("%s was killed by signal %d", bin, WTERMSIG(ws));
    if (WEXITSTATUS(ws) == 127)
        fail_msg("could not run %s", bin);
    return WEXITSTATUS(ws);
}

/* Loads a config from sets (NULL-terminated "KEY=VALUE"), runs it in a fresh
 * directory, removes the directory, and returns the result (caller frees).
 * *rc gets kvb_run's return value. */
struct kvb_result *kvbt_run_sets_in(const char *const *sets, const char *dir, int *rc)
{
    size_t nset = 0;
    while (sets[nset])
        nset++;
    struct kvb_sweep *sw = NULL;
    struct kvb_config_error ce;
    if (kvb_sweep_load(NULL, sets, nset, &sw, &ce) != 0) {
        char msg[2048];
        kvb_config_error_format(&ce, msg, sizeof(msg));
        fail_msg("config: %s", msg);
    }
    assert_int_equal(kvb_sweep_count(sw), 1);
    struct kvb_run_spec *spec = calloc(1, sizeof(*spec));
    assert_non_null(spec);
    if (kvb_sweep_spec(sw, 0, spec, &ce) != 0)
        fail_msg("spec: %s", ce.msg);
    assert_non_null(spec->cfg.be);

    struct kvb_result *res = malloc(sizeof(*res));
    assert_non_null(res);
    *rc = kvb_run(&spec->cfg, dir, res);

    kvb_config_free(&spec->cfg);
    free(spec);
    kvb_sweep_free(sw);
    return res;
}

struct kvb_result *kvbt_run_sets(const char *const *sets, int *rc)
{
    char dir[PATH_MAX];
    kvbt_mkdtemp(dir, "run");
    struct kvb_result *res = kvbt_run_sets_in(sets, dir, rc);
    kvbt_rmtree(dir);
    return res;
}
