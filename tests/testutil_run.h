/*
 * testutil_run.h - running one configured benchmark in a test: the kvbench
 * part of the test fixtures (testutil_run.c), apart from testutil.h so that
 * awdb's own tests need none of kvbench.
 */
#ifndef KVB_TESTS_TESTUTIL_RUN_H
#define KVB_TESTS_TESTUTIL_RUN_H

struct kvb_result;

/* Runs the kvbench program of this build with args (NULL-terminated,
 * without argv[0]); its stdout goes to the file out and its stderr to the
 * file err (NULL: to out as well). Returns its exit status; fails the test
 * if it cannot be run or is killed. */
int kvbt_run_kvbench(const char *const *args, const char *out, const char *err);

/* Loads a config from sets (NULL-terminated "KEY=VALUE" overrides of the
 * defaults), runs its one spec in a fresh directory, removes the directory
 * and returns the result (caller frees; kvb_result_release first if it has
 * a time series). *rc gets kvb_run's return value. Fails the test if the
 * config does not load or expands to more than one run. */
struct kvb_result *kvbt_run_sets(const char *const *sets, int *rc);

/* The same in dir, which is kept (a second run finds what the first left,
 * where the backend persists). */
struct kvb_result *kvbt_run_sets_in(const char *const *sets, const char *dir, int *rc);

#endif
