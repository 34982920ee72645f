/*
 * test_cli.c - what a newcomer meets at the command line, checked on the
 * built kvbench program: the messages for a misspelt command or option
 * (with the nearest one suggested), run --help listing every config key
 * once with its unit, the warning for a backend's options no run uses, and
 * a run's printout saying "started late" only where that means something.
 *
 * Messages are pinned exactly: they are the interface a person reads.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "cli/commands.h"
#include "report/print.h"
#include "config/config.h"
#include "tests/testutil.h"
#include "tests/testutil_run.h"
#include "util/option.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct fx {
    char dir[PATH_MAX];
    char out[PATH_MAX + 16], err[PATH_MAX + 16];
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    kvbt_mkdtemp(f->dir, "cli");
    snprintf(f->out, sizeof(f->out), "%s/stdout", f->dir);
    snprintf(f->err, sizeof(f->err), "%s/stderr", f->dir);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    kvbt_rmtree(f->dir);
    free(f);
    return 0;
}

/* Runs kvbench with args, expecting exit status rc, nothing on stdout and
 * exactly want on stderr. */
static void expect_stderr(struct fx *f, const char *const *args, int rc, const char *want)
{
    assert_int_equal(kvbt_run_kvbench(args, f->out, f->err), rc);
    char *out = kvbt_read_file(f->out), *err = kvbt_read_file(f->err);
    assert_non_null(out);
    assert_non_null(err);
    if (strcmp(err, want) != 0)
        fail_msg("kvbench %s %s: stderr is\n%s\nexpected\n%s", args[0], args[1] ? args[1] : "", err,
                 want);
    assert_string_equal(out, "");
    free(out);
    free(err);
}

/* ---- a misspelt command or option ---------------------------------------- */

static void test_unknown_command_suggests_the_closest(void **state)
{
    struct fx *f = *state;
    static const char *const swep[] = {"swep", NULL};
    expect_stderr(f, swep, 2,
                  "kvbench: unknown command 'swep' (did you mean 'sweep'?); see kvbench --help\n");
    static const char *const backend[] = {"backend", NULL};
    expect_stderr(
        f, backend, 2,
        "kvbench: unknown command 'backend' (did you mean 'backends'?); see kvbench --help\n");

    /* nothing near: the list of commands instead */
    static const char *const far[] = {"frobnicate", NULL};
    assert_int_equal(kvbt_run_kvbench(far, f->out, f->err), 2);
    char *err = kvbt_read_file(f->err);
    assert_non_null(err);
    static const char head[] = "kvbench: unknown command 'frobnicate'\nusage: kvbench COMMAND";
    assert_memory_equal(err, head, sizeof(head) - 1);
    assert_null(strstr(err, "did you mean"));
    free(err);
}

/* Every command's options go through the same parser: a misspelt long
 * option of any of them gets the nearest one suggested. */
static void test_unknown_option_suggests_the_closest(void **state)
{
    struct fx *f = *state;
    static const struct {
        const char *cmd, *typo, *meant;
    } typos[] = {
        {"run", "--jsn", "--json"},         {"sweep", "--jobz", "--jobs"},
        {"sweep", "--dryrun", "--dry-run"}, {"crash", "--kils", "--kills"},
        {"plot", "--ouput", "--output"},    {"merge", "--hlep", "--help"},
        {"backends", "--hepl", "--help"},
    };
    for (size_t i = 0; i < sizeof(typos) / sizeof(typos[0]); i++) {
        const char *args[] = {typos[i].cmd, typos[i].typo, "x", NULL};
        char want[256];
        snprintf(want, sizeof(want),
                 "kvbench %s: unknown option '%s' (did you mean '%s'?); see kvbench %s --help\n",
                 typos[i].cmd, typos[i].typo, typos[i].meant, typos[i].cmd);
        expect_stderr(f, args, 2, want);
    }
    /* a value glued on with '=' is not part of the name */
    static const char *const glued[] = {"sweep", "--jobz=2", NULL};
    expect_stderr(f, glued, 2,
                  "kvbench sweep: unknown option '--jobz' (did you mean '--jobs'?); see kvbench "
                  "sweep --help\n");
}

/* getopt's other refusals, said once and in the same words (getopt_long's
 * own messages are off). */
static void test_other_option_errors(void **state)
{
    struct fx *f = *state;
    static const struct {
        const char *args[4];
        const char *want;
    } cases[] = {
        {{"sweep", "--zzzzzzzz", NULL},
         "kvbench sweep: unknown option '--zzzzzzzz'; see kvbench sweep --help\n"},
        {{"sweep", "--s", "x", NULL},
         "kvbench sweep: option '--s' is ambiguous (--set, --shard); see kvbench sweep --help\n"},
        {{"sweep", "--jobs", NULL},
         "kvbench sweep: option '--jobs' needs a value; see kvbench sweep --help\n"},
        {{"sweep", "-j", NULL},
         "kvbench sweep: option '-j' needs a value; see kvbench sweep --help\n"},
        {{"run", "--keep=yes", NULL},
         "kvbench run: option '--keep' takes no value; see kvbench run --help\n"},
        {{"run", "-x", NULL}, "kvbench run: unknown option '-x'; see kvbench run --help\n"},
        /* a short option at the start of a group, after a long one */
        {{"run", "--keep", "-xh", NULL},
         "kvbench run: unknown option '-x'; see kvbench run --help\n"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        expect_stderr(f, cases[i].args, 2, cases[i].want);
}

/* ---- a backend's options that no run uses ---------------------------------- */

/* They load and run, with a warning on stderr that says where they are. */
static void test_unused_backend_options_warn_on_stderr(void **state)
{
    struct fx *f = *state;
    char yaml[PATH_MAX], want[PATH_MAX + 200];
    kvbt_write_file(f->dir, "unused.yaml", "backends: [lmdb]\nmem: {lost_update: false}\n", yaml);
    const char *args[] = {"sweep", "--dry-run", yaml, NULL};
    assert_int_equal(kvbt_run_kvbench(args, f->out, f->err), 0);
    char *out = kvbt_read_file(f->out), *err = kvbt_read_file(f->err);
    assert_non_null(out);
    assert_non_null(err);
    snprintf(want, sizeof(want),
             "kvbench: warning: %s:2:1: key 'mem': this backend is not among `backends` (lmdb): "
             "its options are not used\n",
             yaml);
    assert_string_equal(err, want);
    assert_non_null(strstr(out, "lmdb"));
    free(out);
    free(err);
}

/* ---- a run's printout --------------------------------------------------------- */

/* "N started >1 ms late" counts operations that began after their intended
 * time: a figure of a paced (open-loop) role. A closed-loop role (rate 0)
 * has no intended times, so its line leaves the figure out. */
static void test_late_starts_only_for_open_loop_roles(void **state)
{
    (void)state;
    struct kvb_run_spec *spec = calloc(1, sizeof(*spec));
    struct kvb_result *res = malloc(sizeof(*res));
    assert_non_null(spec);
    assert_non_null(res);
    snprintf(spec->label, sizeof(spec->label), "W1_WR0.00_RD1_RT100");
    snprintf(spec->cfg.backend, sizeof(spec->cfg.backend), "mem");
    spec->cfg.duration = 1;
    spec->cfg.writer_rate = 0;   /* closed loop */
    spec->cfg.reader_rate = 100; /* open loop */
    kvb_result_init(res);
    res->measured_secs = 1;
    for (int r = KVB_ROLE_WRITER; r <= KVB_ROLE_READER; r++) {
        struct kvb_role_stats *st = &res->role[r];
        st->clients = 1;
        st->ops = st->attempts = 100;
        st->behind = r == KVB_ROLE_READER ? 7 : 0;
        st->window_secs = 1;
        for (int i = 0; i < 100; i++) {
            kvb_hist_record(&st->latency, 1000000);
            kvb_hist_record(&st->service, 1000000);
        }
    }
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    assert_non_null(out);
    kvb_print_result(out, spec, res);
    assert_int_equal(fclose(out), 0);

    const char *writers = strstr(text, "  writers "), *readers = strstr(text, "  readers ");
    assert_non_null(writers);
    assert_non_null(readers);
    assert_true(writers < readers);
    /* the writers' two lines end where the readers' begin */
    char wlines[1024];
    snprintf(wlines, sizeof(wlines), "%.*s", (int)(readers - writers), writers);
    if (!strstr(wlines, "service time p50 1.00ms  p99 1.00ms\n") || strstr(wlines, "late"))
        fail_msg("closed-loop writers:\n%s", wlines);
    if (!strstr(readers, "service time p50 1.00ms  p99 1.00ms;  7 started >1 ms late\n"))
        fail_msg("open-loop readers:\n%s", readers);
    free(text);
    kvb_result_release(res);
    free(res);
    free(spec);
}

/* ---- run --help ----------------------------------------------------------- */

/* How many lines of text start with word (after their indentation) as a
 * whole word; *line gets the last such line. */
static size_t lines_starting_with(const char *text, const char *word, const char **line)
{
    size_t n = 0, wl = strlen(word);
    for (const char *p = text; *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : p + strlen(p)) {
        const char *q = p + strspn(p, " ");
        if (strncmp(q, word, wl) == 0 && (q[wl] == ' ' || q[wl] == '\n')) {
            n++;
            *line = q;
        }
    }
    return n;
}

/* Every config key is listed once, and a duration's default says its unit
 * (a bare "10" could be seconds or milliseconds). */
static void test_run_help_lists_each_key_once_with_units(void **state)
{
    struct fx *f = *state;
    static const char *const help[] = {"run", "--help", NULL};
    assert_int_equal(kvbt_run_kvbench(help, f->out, f->err), 0);
    char *text = kvbt_read_file(f->out);
    assert_non_null(text);
    size_t durations = 0;
    for (const struct kvb_option *o = kvb_config_options; o->name; o++) {
        const char *line = NULL;
        size_t n = lines_starting_with(text, o->name, &line);
        if (n != 1)
            fail_msg("run --help lists '%s' %zu times:\n%s", o->name, n, text);
        if (o->type != KVB_OPT_SECONDS)
            continue;
        durations++;
        const char *d = strstr(line, "(default ");
        const char *eol = strchr(line, '\n');
        if (!d || (eol && d > eol))
            fail_msg("'%s' shows no default: %.*s", o->name, (int)(eol - line), line);
        d += strlen("(default ");
        size_t len = strcspn(d, ")");
        char shown[64];
        snprintf(shown, sizeof(shown), "%.*s", (int)len, d);
        /* it ends with a unit and means the default */
        if (len == 0 || !strchr("smh", shown[len - 1]))
            fail_msg("'%s' shows its default as '%s', without a unit", o->name, shown);
        struct kvb_config a = {0}, b = {0};
        char err[KVB_OPT_ERRLEN];
        assert_int_equal(kvb_opt_parse(o, shown, &a, err, sizeof(err)), 0);
        assert_int_equal(kvb_opt_parse(o, o->def ? o->def : "0", &b, err, sizeof(err)), 0);
        assert_memory_equal((char *)&a + o->offset, (char *)&b + o->offset, sizeof(double));
    }
    assert_true(durations >= 3); /* duration, warmup, timeout at least */
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_unknown_command_suggests_the_closest, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_option_suggests_the_closest, setup, teardown),
        cmocka_unit_test_setup_teardown(test_other_option_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_run_help_lists_each_key_once_with_units, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_unused_backend_options_warn_on_stderr, setup,
                                        teardown),
        cmocka_unit_test(test_late_starts_only_for_open_loop_roles),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
