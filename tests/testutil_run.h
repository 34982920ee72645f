/*
 * testutil_run.h - running one configured benchmark in a test: the kvbench
 * part of the test fixtures (testutil_run.c), apart from testutil.h so that
 * awdb's own tests need none of kvbench.
 */
#ifndef KVB_TESTS_TESTUTIL_RUN_H
#define KVB_TESTS_TESTUTIL_RUN_H

struct kvb_result;

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
