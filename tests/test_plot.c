/*
 * test_plot.c - `kvbench plot`: figures, scripts, data and index.html from
 * a fixed sweep (tests/fixtures/plot/fix.csv and its run summaries in
 * fix/runs/: two backends, three configurations listed out of order, a
 * failed run, a run whose verification failed, low-sample percentiles).
 *
 * The scripts and data files are checked for what they draw (series,
 * styles, markers, the x order, log axes), not only for existing; broken
 * CSVs, a missing or failing gnuplot, and labels full of characters that
 * mean something to gnuplot, HTML or the shell are fed in on purpose. Tests
 * that need gnuplot skip without it; one loads index.html in headless
 * Chromium when /usr/bin/chromium exists, and skips otherwise - or fails
 * under CI (CI=true), which installs Chromium to run it (.ci/run).
 *
 * The time series come from a second fixture, tests/fixtures/plot/ts.csv
 * and ts/runs/: three configurations run `repeat: 10` times (summaries
 * named NNNN-rK-LABEL-BACKEND.json), one with time series on both backends
 * (mem's repeats 1 and 2; lmdb's repeats 2 and 10 only, so repeat 2 is
 * drawn), one without any, one whose lmdb run failed. A short real sweep
 * with `repeat: 2` checks the naming against the scheduler's own.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <dirent.h>
#include <jansson.h>
#include <math.h>

#include "cli/commands.h"
#include "config/config.h"
#include "sweep/scheduler.h"
#include "report/plot.h"
#include "tests/testutil.h"
#include "util/fs.h"

#define FIXTURE KVB_SOURCE_DIR "/tests/fixtures/plot/fix.csv"
#define TS_FIXTURE KVB_SOURCE_DIR "/tests/fixtures/plot/ts.csv"
/* The failed-run marker of the per-backend figures and the distributions. */
#define PL_TEST_FAILED "pt 2 ps 2.2 lw 2.5 lc rgb \"red\""

static const char *const fixture_stems[] = {
    "fix-latency-mem",        "fix-latency-lmdb",      "fix-compare-writer-p99",
    "fix-compare-reader-p99", "fix-compare-write-tps", "fix-compare-precondition-failure-rate",
    "fix-dist-W1_WR20",       "fix-dist-W1_WR100",     "fix-dist-W2_WR20",
};
#define NSTEMS (sizeof(fixture_stems) / sizeof(fixture_stems[0]))

struct tmp {
    char dir[PATH_MAX];
};

static int setup(void **state)
{
    struct tmp *t = calloc(1, sizeof(*t));
    assert_non_null(t);
    kvbt_mkdtemp(t->dir, "plot");
    *state = t;
    return 0;
}

static int teardown(void **state)
{
    struct tmp *t = *state;
    kvbt_rmtree(t->dir);
    free(t);
    return 0;
}

static bool have_gnuplot(void)
{
    char path[PATH_MAX], err[256];
    return kvb_plot_find_gnuplot(NULL, path, sizeof(path), err, sizeof(err)) == 0;
}

static char *slurp(const char *dir, const char *name)
{
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    char *s = kvbt_read_file(path);
    if (!s)
        fail_msg("cannot read %s", path);
    return s;
}

#define assert_contains(hay, needle)                                                               \
    do {                                                                                           \
        if (!strstr((hay), (needle)))                                                              \
            fail_msg("expected to find [%s] in:\n%s", (needle), (hay));                            \
    } while (0)

#define assert_lacks(hay, needle)                                                                  \
    do {                                                                                           \
        if (strstr((hay), (needle)))                                                               \
            fail_msg("did not expect [%s] in:\n%s", (needle), (hay));                              \
    } while (0)

static off_t file_size(const char *dir, const char *name)
{
    char path[PATH_MAX];
    struct stat st;
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    return stat(path, &st) == 0 ? st.st_size : -1;
}

static bool exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* Runs the plotter on the fixture into dir; rendering or not. */
static void plot_fixture(const char *dir, bool render)
{
    struct kvb_plot_opts o = {.no_render = !render};
    struct kvb_plot_info info;
    char err[2048] = "";
    int rc = kvb_plot_sweep_opts(FIXTURE, NULL, dir, &o, &info, err, sizeof(err));
    if (rc != 0)
        fail_msg("kvb_plot_sweep: %d: %s", rc, err);
    assert_int_equal(info.figures, NSTEMS);
    assert_string_equal(info.outdir, dir);
}

/* How many files in dir have names containing part. */
static size_t count_files(const char *dir, const char *part)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        n += strstr(e->d_name, part) != NULL;
    closedir(d);
    return n;
}

/* Every figure as .dat, .gp, .png and .svg, and index.html, none empty. */
static void test_fixture_files(void **state)
{
    struct tmp *t = *state;
    if (!have_gnuplot())
        skip();
    plot_fixture(t->dir, true);
    static const char *const ext[] = {"dat", "gp", "png", "svg"};
    for (size_t i = 0; i < NSTEMS; i++) {
        for (size_t e = 0; e < 4; e++) {
            char name[256];
            snprintf(name, sizeof(name), "%s.%s", fixture_stems[i], ext[e]);
            if (file_size(t->dir, name) <= 0)
                fail_msg("%s missing or empty", name);
        }
        char name[256];
        snprintf(name, sizeof(name), "%s.png", fixture_stems[i]);
        char *png = slurp(t->dir, name);
        assert_memory_equal(png, "\x89PNG", 4);
        free(png);
        snprintf(name, sizeof(name), "%s.svg", fixture_stems[i]);
        char *svg = slurp(t->dir, name);
        assert_contains(svg, "<svg");
        free(svg);
    }
    assert_true(file_size(t->dir, "index.html") > 0);
    /* The fixture's runs have no time series: no such figure. */
    assert_int_equal(count_files(t->dir, "timeseries"), 0);
}

/* The per-backend latency figure: the four series in the styles,
 * the x axis in num_writers, writer_rate order, and the markers. */
static void test_latency_script(void **state)
{
    struct tmp *t = *state;
    plot_fixture(t->dir, false);
    char *gp = slurp(t->dir, "fix-latency-lmdb.gp");
    assert_contains(gp, "set terminal pngcairo noenhanced");
    assert_contains(gp, "set terminal svg noenhanced");
    assert_contains(gp, "set output 'fix-latency-lmdb.png'");
    assert_contains(gp, "set output 'fix-latency-lmdb.svg'");
    assert_contains(gp, "set title 'lmdb: latency by configuration - sweep fix'");
    /* W1_WR100 comes after W1_WR20 (20 < 100), though the CSV lists it first. */
    assert_contains(gp, "set xtics ('W1_WR20' 0, 'W1_WR100' 1, 'W2_WR20' 2)");
    assert_contains(gp, "using 1:2 with linespoints lc rgb \"blue\" dt 1 lw 1.6 pt 7 ps 0.9 "
                        "title 'writer p50'");
    assert_contains(gp, "using 1:3 with linespoints lc rgb \"blue\" dt 2 lw 1.6 pt 7 ps 0.9 "
                        "title 'writer p99'");
    assert_contains(gp, "using 1:4 with linespoints lc rgb \"forest-green\" dt 1 lw 1.6 pt 7 "
                        "ps 0.9 title 'reader p50'");
    assert_contains(gp, "using 1:5 with linespoints lc rgb \"forest-green\" dt 2 lw 1.6 pt 7 "
                        "ps 0.9 title 'reader p99'");
    assert_contains(gp, "index 1 using 1:2 with points " PL_TEST_FAILED " title 'failed run'");
    assert_contains(gp, "index 2 using 1:2 with points pt 9 ps 2 lc rgb \"dark-magenta\" title "
                        "'verification failed'");
    /* writer p99 from 2.5 to 25 ms, reader p50 0.01: more than two decades. */
    assert_contains(gp, "set logscale y 10");
    free(gp);

    char *dat = slurp(t->dir, "fix-latency-lmdb.dat");
    assert_contains(dat, "# block 0: x writer_p50_ms writer_p99_ms read_p50_ms read_p99_ms\n"
                         "0 NaN NaN NaN NaN\n"
                         "1 0.6 25 0.012 0.35\n"
                         "2 0.5 2.5 0.01 0.3\n");
    assert_contains(dat, "# block 1: failed runs of lmdb");
    assert_contains(dat, "# failed: child killed by signal 9 (SIGKILL) <oom & co>\n");
    assert_contains(dat, "# block 2: runs whose verification failed of lmdb");
    assert_contains(dat, "# violation: key 17: value does not verify\n");
    assert_contains(dat, "#   1 = W1_WR100\n");
    free(dat);

    /* mem's W1_WR20 writer percentiles rest on 40 samples: circled. */
    gp = slurp(t->dir, "fix-latency-mem.gp");
    assert_contains(gp, "index 1 using 1:2 with points pt 6 ps 2.2 lw 1.5 lc rgb \"black\" title "
                        "'fewer than 100 samples'");
    assert_lacks(gp, "failed run");
    free(gp);
    dat = slurp(t->dir, "fix-latency-mem.dat");
    assert_contains(dat, "# block 1: percentiles from fewer than 100 samples (x, y)\n"
                         "0 0.06\n0 0.09\n");
    free(dat);
}

/* The comparison figures: a line per backend, log y only past two decades. */
static void test_compare_scripts(void **state)
{
    struct tmp *t = *state;
    plot_fixture(t->dir, false);
    char *gp = slurp(t->dir, "fix-compare-writer-p99.gp");
    assert_contains(gp, "set title 'writer p99 latency by backend - sweep fix'");
    assert_contains(gp, "index 0 using 1:2 with linespoints lc rgb \"#1f77b4\" lw 1.8 pt 7 ps "
                        "0.9 title 'mem'");
    assert_contains(gp, "index 1 using 1:2 with linespoints lc rgb \"#ff7f0e\" lw 1.8 pt 7 ps "
                        "0.9 title 'lmdb'");
    assert_contains(gp, "title 'lmdb: failed run'");
    assert_contains(gp, "title 'lmdb: verification failed'");
    assert_contains(gp, "title 'fewer than 100 samples'");
    assert_contains(gp, "set logscale y 10"); /* 0.09 .. 25 ms */
    free(gp);
    char *dat = slurp(t->dir, "fix-compare-writer-p99.dat");
    assert_contains(dat, "# block 0: mem: x writer_p99_ms\n0 0.09\n1 0.15\n2 0.2\n");
    assert_contains(dat, "# block 1: lmdb: x writer_p99_ms\n0 NaN\n1 25\n2 2.5\n");
    free(dat);

    gp = slurp(t->dir, "fix-compare-write-tps.gp");
    assert_contains(gp, "unset logscale y"); /* 20 .. 100 */
    assert_contains(gp, "set ylabel 'committed writes per second'");
    free(gp);
    gp = slurp(t->dir, "fix-compare-precondition-failure-rate.gp");
    assert_contains(gp, "unset logscale y"); /* zeros stay visible */
    free(gp);
    gp = slurp(t->dir, "fix-compare-reader-p99.gp");
    assert_contains(gp, "title 'reader p99 latency by backend - sweep fix'");
    free(gp);
}

/* The distributions: nines axis, a line per backend, cut where the sample
 * count stops resolving percentiles, the failed run in the legend. */
static void test_dist_scripts(void **state)
{
    struct tmp *t = *state;
    plot_fixture(t->dir, false);
    char *gp = slurp(t->dir, "fix-dist-W2_WR20.gp");
    assert_contains(gp, "set logscale x 10");
    assert_contains(gp, "set xtics ('50%%' 2, '90%%' 10, '99%%' 100, '99.9%%' 1000, '99.99%%' "
                        "10000, '99.999%%' 100000)");
    assert_contains(gp, "set multiplot layout 1,2 title 'W2_WR20: latency distribution by "
                        "backend - sweep fix'");
    assert_contains(gp, "set title 'writer latency'");
    assert_contains(gp, "set title 'reader latency'");
    assert_contains(gp, "using 1:3 with linespoints lc rgb \"#1f77b4\" lw 1.8 pt 7 ps 0.6 title "
                        "'mem (n=1000)'");
    assert_contains(gp, "title 'lmdb (n=1000)'");
    free(gp);

    char *dat = slurp(t->dir, "fix-dist-W2_WR20.dat");
    assert_contains(dat, "# block 0: mem writer_latency (n=1000): x p latency_ms\n2 50 0.05\n");
    /* 1000 samples resolve 99.9% (one sample above), not 99.95%. */
    const char *b0 = strstr(dat, "# block 0:"), *b1 = strstr(dat, "# block 1:");
    assert_non_null(b0);
    assert_non_null(b1);
    char *block0 = strndup(b0, (size_t)(b1 - b0));
    assert_contains(block0, "\n1000 99.9 ");
    assert_lacks(block0, " 99.95 ");
    assert_lacks(block0, " 40 "); /* below 50%: off the axis */
    free(block0);
    free(dat);

    gp = slurp(t->dir, "fix-dist-W1_WR20.gp");
    assert_contains(gp, "keyentry with points " PL_TEST_FAILED
                        " title 'lmdb: failed run: child killed by signal 9 (SIGKILL) <oom ...'");
    assert_contains(gp, "'fewer than 100 samples'"); /* mem's writer: 40 samples */
    free(gp);
}

/* Missing columns, no rows, no file: KVB_PLOT_BAD_INPUT with a clear message, exit 2. */
static void test_bad_csv(void **state)
{
    struct tmp *t = *state;
    char csv[PATH_MAX], out[PATH_MAX], err[1024];
    snprintf(out, sizeof(out), "%s/out", t->dir);

    kvbt_write_file(t->dir, "cols.csv",
                    "config_label,backend,status,num_writers,writer_rate,writer_p50_ms,"
                    "read_p50_ms,write_tps\nA,mem,ok,1,1,1,1,1\n",
                    csv);
    assert_int_equal(kvb_plot_sweep(csv, NULL, out, err, sizeof(err)), KVB_PLOT_BAD_INPUT);
    assert_contains(err, "cols.csv: not a kvbench sweep CSV: missing columns writer_p99_ms, "
                         "read_p99_ms, precondition_failure_rate");
    assert_false(exists(out));
    char *argv1[] = {"plot", csv, "-o", out, NULL};
    assert_int_equal(kvb_cmd_plot(4, argv1), KVB_EXIT_USAGE);

    char header[1024] = "";
    for (const char *const *c = kvb_plot_required_columns; *c; c++)
        snprintf(header + strlen(header), sizeof(header) - strlen(header), "%s%s",
                 c == kvb_plot_required_columns ? "" : ",", *c);
    strcat(header, "\n");
    kvbt_write_file(t->dir, "empty.csv", header, csv);
    assert_int_equal(kvb_plot_sweep(csv, NULL, out, err, sizeof(err)), KVB_PLOT_BAD_INPUT);
    assert_contains(err, "empty.csv: no rows to plot");
    char *argv2[] = {"plot", csv, NULL};
    assert_int_equal(kvb_cmd_plot(2, argv2), KVB_EXIT_USAGE);

    snprintf(csv, sizeof(csv), "%s/absent.csv", t->dir);
    assert_int_equal(kvb_plot_sweep(csv, NULL, out, err, sizeof(err)), KVB_PLOT_BAD_INPUT);
    assert_contains(err, "absent.csv");

    kvbt_write_file(t->dir, "ragged.csv", "config_label,backend\na,b,c\n", csv);
    assert_int_equal(kvb_plot_sweep(csv, NULL, out, err, sizeof(err)), KVB_PLOT_BAD_INPUT);
    assert_contains(err, "ragged.csv:2");
    assert_false(exists(out));
}

/* No gnuplot: KVB_PLOT_NO_GNUPLOT, nothing written, `kvbench plot` exits 1. */
static void test_no_gnuplot(void **state)
{
    struct tmp *t = *state;
    char out[PATH_MAX], err[1024];
    snprintf(out, sizeof(out), "%s/out", t->dir);
    struct kvb_plot_opts o = {.gnuplot = "/nonexistent/gnuplot"};
    assert_int_equal(kvb_plot_sweep_opts(FIXTURE, NULL, out, &o, NULL, err, sizeof(err)),
                     KVB_PLOT_NO_GNUPLOT);
    assert_contains(err, "/nonexistent/gnuplot");
    assert_false(exists(out));

    char *path = getenv("PATH") ? strdup(getenv("PATH")) : NULL;
    char *env = getenv("KVB_GNUPLOT") ? strdup(getenv("KVB_GNUPLOT")) : NULL;
    unsetenv("KVB_GNUPLOT");
    setenv("PATH", t->dir, 1);
    int rc = kvb_plot_sweep(FIXTURE, NULL, out, err, sizeof(err));
    setenv("KVB_GNUPLOT", "/nonexistent/gnuplot", 1);
    char *argv[] = {"plot", FIXTURE, "-o", out, NULL};
    int exit_status = kvb_cmd_plot(4, argv);
    if (path)
        setenv("PATH", path, 1);
    if (env)
        setenv("KVB_GNUPLOT", env, 1);
    else
        unsetenv("KVB_GNUPLOT");
    free(path);
    free(env);
    assert_int_equal(rc, KVB_PLOT_NO_GNUPLOT);
    assert_contains(err, "gnuplot not found on $PATH");
    assert_int_equal(exit_status, KVB_EXIT_FAILED);
    assert_false(exists(out));

    /* A bad CSV is still a usage error when gnuplot is missing too. */
    char csv[PATH_MAX];
    kvbt_write_file(t->dir, "bad.csv", "x\n1\n", csv);
    assert_int_equal(kvb_plot_sweep_opts(csv, NULL, out, &o, NULL, err, sizeof(err)),
                     KVB_PLOT_BAD_INPUT);
}

/* A gnuplot that fails: its own message comes back, with the script's name. */
static void test_gnuplot_fails(void **state)
{
    struct tmp *t = *state;
    char fake[PATH_MAX], out[PATH_MAX], err[2048];
    kvbt_write_file(t->dir, "fake-gnuplot",
                    "#!/bin/sh\n"
                    "echo \"\\\"$1\\\" line 3: warning: something minor\" >&2\n"
                    "echo \"\\\"$1\\\" line 7: unknown or ambiguous terminal type\" >&2\n"
                    ": > \"${1%.gp}.png\"\n"
                    "exit 1\n",
                    fake);
    assert_int_equal(chmod(fake, 0755), 0);
    snprintf(out, sizeof(out), "%s/out", t->dir);
    struct kvb_plot_opts o = {.gnuplot = fake};
    assert_int_equal(kvb_plot_sweep_opts(FIXTURE, NULL, out, &o, NULL, err, sizeof(err)),
                     KVB_PLOT_ERROR);
    assert_contains(err, "fix-latency-mem.gp: exit 1: \"fix-latency-mem.gp\" line 7: unknown or "
                         "ambiguous terminal type");
    assert_lacks(err, "something minor");
    char png[PATH_MAX];
    snprintf(png, sizeof(png), "%s/fix-latency-mem.png", out);
    assert_false(exists(png)); /* no half-drawn image left */
}

/* Labels with quotes, backslashes, underscores, %, @, backquotes and HTML:
 * drawn as they are, nothing executed, escaped in the page, safe file names. */
static void test_special_labels(void **state)
{
    struct tmp *t = *state;
    char csv[PATH_MAX], out[PATH_MAX], err[2048];
    kvbt_write_file(
        t->dir, "odd name.csv",
        "config_label,backend,status,num_writers,writer_rate,writer_p50_ms,writer_p99_ms,"
        "read_p50_ms,read_p99_ms,write_tps,precondition_failure_rate\n"
        "\"W1 \"\"q\"\" 'x' a\\b c_d 50% @m `touch pwned` <b>&amp;\",my be/x,ok,1,5,1,2,0.5,"
        "0.9,5,0\n"
        "W2_{sub}^sup,my be/x,ok,2,5,1.5,3,0.6,1,10,0\n",
        csv);
    snprintf(out, sizeof(out), "%s/out", t->dir);
    struct kvb_plot_opts o = {.no_render = !have_gnuplot()};
    struct kvb_plot_info info;
    int rc = kvb_plot_sweep_opts(csv, NULL, out, &o, &info, err, sizeof(err));
    if (rc != 0)
        fail_msg("%d: %s", rc, err);

    char *gp = slurp(out, "odd_name-latency-my_be_x.gp");
    assert_contains(gp, "set xtics ('W1 \"q\" ''x'' a\\b c_d 50%% @m `touch pwned` <b>&amp;' 0, "
                        "'W2_{sub}^sup' 1)");
    assert_contains(gp, "set title 'my be/x: latency by configuration - sweep odd name'");
    assert_contains(gp, "noenhanced");
    free(gp);
    char *dat = slurp(out, "odd_name-latency-my_be_x.dat");
    assert_contains(dat, "#   0 = W1 \"q\" 'x' a\\b c_d 50% @m `touch pwned` <b>&amp;\n");
    free(dat);
    assert_int_equal(info.notes, 1); /* no runs directory */

    if (o.no_render)
        skip();
    char pwned[PATH_MAX];
    snprintf(pwned, sizeof(pwned), "%s/pwned", out);
    assert_false(exists(pwned));
    char *html = slurp(out, "index.html");
    assert_contains(html, "W1 &quot;q&quot; &#39;x&#39; a\\b c_d 50% @m `touch pwned` "
                          "&lt;b&gt;&amp;amp;");
    assert_lacks(html, "<b>&amp;");
    assert_contains(html, "<code>my be/x</code>");
    assert_contains(html, "data-plot=\"odd_name-latency-my_be_x\"");
    assert_contains(html, "No run summaries");
    free(html);
}

/* Every run failed: the figures still draw (markers only), no gnuplot error. */
static void test_all_failed(void **state)
{
    struct tmp *t = *state;
    if (!have_gnuplot())
        skip();
    char csv[PATH_MAX], out[PATH_MAX], err[2048];
    kvbt_write_file(t->dir, "dead.csv",
                    "config_label,backend,status,num_writers,writer_rate,writer_p50_ms,"
                    "writer_p99_ms,read_p50_ms,read_p99_ms,write_tps,precondition_failure_rate,"
                    "failure_reason\n"
                    "W1,awdb,failed,1,5,,,,,,,timeout after 30 s\n"
                    "W2,awdb,failed,2,5,,,,,,,exit status 3\n",
                    csv);
    snprintf(out, sizeof(out), "%s/out", t->dir);
    int rc = kvb_plot_sweep(csv, NULL, out, err, sizeof(err));
    if (rc != 0)
        fail_msg("%d: %s", rc, err);
    char *gp = slurp(out, "dead-latency-awdb.gp");
    assert_contains(gp, "set label 1 'no latency figures'");
    assert_contains(gp, "title 'failed run'");
    free(gp);
    assert_true(file_size(out, "dead-latency-awdb.png") > 0);
    assert_true(file_size(out, "dead-compare-write-tps.png") > 0);
}

/* index.html: the sweep, its machine and configuration, the CSV, every figure. */
static void test_index_html(void **state)
{
    struct tmp *t = *state;
    if (!have_gnuplot())
        skip();
    plot_fixture(t->dir, true);
    char *html = slurp(t->dir, "index.html");
    assert_contains(html, "<title>kvbench sweep fix</title>");
    assert_contains(html, "Fixture CPU @ 3.00GHz");
    assert_contains(html, "/dev/nvme0n1p2");
    assert_contains(html, "<td class=\"swept\">writer_rate</td><td>20, 100</td>");
    assert_contains(html, "child killed by signal 9 (SIGKILL) &lt;oom &amp; co&gt;");
    assert_contains(html, "key 17: value does not verify");
    assert_contains(html, "<tr class=\"failed\">");
    for (size_t i = 0; i < NSTEMS; i++) {
        char want[256];
        snprintf(want, sizeof(want), "<img data-plot=\"%s\"", fixture_stems[i]);
        assert_contains(html, want);
        snprintf(want, sizeof(want), "<a href=\"%s.svg\">", fixture_stems[i]);
        assert_contains(html, want);
    }
    size_t imgs = 0;
    for (const char *p = html; (p = strstr(p, "src=\"data:image/png;base64,iVBORw0KGgo")); p++)
        imgs++;
    assert_int_equal(imgs, NSTEMS);
    assert_lacks(html, "id=\"timeseries\""); /* no section when no run has a time series */
    assert_lacks(html, "href=\"#timeseries\"");
    assert_lacks(html, "Configurations run several times");
    free(html);
}

/* Runs under CPU contention: a diamond above the x axis in the figures by
 * configuration, a footnote saying how many, an orange edge on their rows
 * in index.html and a count at its top; rows without say nothing. */
static void test_contended_runs(void **state)
{
    struct tmp *t = *state;
    char csv[PATH_MAX], out[PATH_MAX], err[2048];
    kvbt_write_file(t->dir, "busy.csv",
                    "config_label,backend,status,num_writers,writer_rate,writer_p50_ms,"
                    "writer_p99_ms,read_p50_ms,read_p99_ms,write_tps,precondition_failure_rate,"
                    "cpu_pressure_pct,load_per_core,contended\n"
                    "W1,awdb,ok,1,5,1,2,0.5,0.9,5,0,97.5,4.2,true\n"
                    "W2,awdb,ok,2,5,1.5,3,0.6,1,10,0,2.0,0.3,false\n"
                    "W1,lmdb,ok,1,5,1,2,0.5,0.9,5,0,3.0,0.3,false\n",
                    csv);
    snprintf(out, sizeof(out), "%s/out", t->dir);
    struct kvb_plot_opts o = {.no_render = !have_gnuplot()};
    if (kvb_plot_sweep_opts(csv, NULL, out, &o, NULL, err, sizeof(err)) != 0)
        fail_msg("%s", err);

    char *gp = slurp(out, "busy-latency-awdb.gp");
    assert_contains(gp, "with points pt 12 ps 2 lw 1.5 lc rgb \"dark-orange\" title 'CPU "
                        "contended'");
    assert_contains(gp, "set label 99 '1 of 3 runs met CPU contention (diamonds): compare with "
                        "care'");
    free(gp);
    char *dat = slurp(out, "busy-latency-awdb.dat");
    assert_contains(dat, "runs under CPU contention of awdb");
    assert_contains(dat, "# cpu_pressure_pct 97.5, load_per_core 4.2\n");
    free(dat);
    gp = slurp(out, "busy-latency-lmdb.gp");
    assert_lacks(gp, "title 'CPU contended'"); /* lmdb's run was not */
    free(gp);
    gp = slurp(out, "busy-compare-write-tps.gp");
    assert_contains(gp, "title 'awdb: CPU contended'");
    assert_lacks(gp, "lmdb: CPU contended");
    free(gp);

    if (o.no_render)
        skip();
    char *html = slurp(out, "index.html");
    assert_contains(html, "<strong class=\"contended\">1 under CPU contention</strong>");
    assert_contains(html, "<strong>1 of 3 runs met CPU contention</strong>");
    /* the summary table and the CSV table: the contended row, twice */
    size_t marked = 0;
    for (const char *p = html; (p = strstr(p, "<tr class=\"ok contended\"")); p++)
        marked++;
    assert_int_equal(marked, 2);
    const char *row = strstr(html, "<tr class=\"ok contended\"");
    assert_non_null(row);
    char *line = strndup(row, strcspn(row, "\n"));
    assert_contains(line, "<td>W1</td><td>awdb</td>");
    free(line);
    free(html);

    /* the fixture has no contention columns: nothing marked */
    char fix[PATH_MAX];
    snprintf(fix, sizeof(fix), "%s/fix", t->dir);
    plot_fixture(fix, true);
    html = slurp(fix, "index.html");
    assert_lacks(html, " contended\"");
    assert_lacks(html, "under CPU contention</strong>");
    assert_lacks(html, "id=\"contention\"");
    free(html);
    gp = slurp(fix, "fix-latency-lmdb.gp");
    assert_lacks(gp, "CPU contended");
    assert_lacks(gp, "set label 99");
    free(gp);
}

/* Headless Chromium loads index.html and every image decodes. */
static void test_chromium(void **state)
{
    struct tmp *t = *state;
    const char *chromium = "/usr/bin/chromium";
    if (!have_gnuplot())
        skip();
    if (access(chromium, X_OK) != 0)
        kvbt_skip_or_fail("no %s to load index.html in (Debian: apt-get install chromium)",
                          chromium);
    plot_fixture(t->dir, true);
    char profile[PATH_MAX], cmd[3 * PATH_MAX];
    kvbt_mkdtemp(profile, "chromium");
    snprintf(cmd, sizeof(cmd),
             "timeout 120 %s --headless --no-sandbox --disable-gpu "
             "--disable-background-networking --disable-component-update --disable-sync "
             "--no-first-run --user-data-dir='%s' --dump-dom 'file://%s/index.html' 2>/dev/null",
             chromium, profile, t->dir);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    char *dom, rerr[256];
    size_t len;
    if (kvb_read_fd(fileno(p), "chromium's output", 0, &dom, &len, rerr, sizeof(rerr)) != 0)
        fail_msg("%s", rerr);
    int st = pclose(p);
    kvbt_rmtree(profile);
    if (st != 0)
        fail_msg("chromium exited with status %d", st);
    char want[64];
    snprintf(want, sizeof(want), "data-images-loaded=\"%zu/%zu\"", NSTEMS, NSTEMS);
    assert_contains(dom, want);
    for (size_t i = 0; i < NSTEMS; i++) {
        snprintf(want, sizeof(want), "data-plot=\"%s\"", fixture_stems[i]);
        assert_contains(dom, want);
    }
    assert_lacks(dom, "class=\" broken\""); /* what the page marks a failed image with */
    free(dom);
}

/* `kvbench plot`: help, usage errors, and the default output directory. */
static void test_cmd_plot(void **state)
{
    struct tmp *t = *state;
    char *help[] = {"plot", "--help", NULL};
    assert_int_equal(kvb_cmd_plot(2, help), KVB_EXIT_OK);
    char *none[] = {"plot", NULL};
    assert_int_equal(kvb_cmd_plot(1, none), KVB_EXIT_USAGE);
    char *two[] = {"plot", "a.csv", "b.csv", NULL};
    assert_int_equal(kvb_cmd_plot(3, two), KVB_EXIT_USAGE);
    if (!have_gnuplot())
        skip();

    /* Beside the CSV, in NAME/plots, with the runs from NAME/runs. */
    char csv[PATH_MAX], runs[PATH_MAX], index[PATH_MAX];
    char *text = kvbt_read_file(FIXTURE);
    assert_non_null(text);
    kvbt_write_file(t->dir, "fix.csv", text, csv);
    free(text);
    snprintf(runs, sizeof(runs), "%s/tests/fixtures/plot/fix/runs", KVB_SOURCE_DIR);
    char *argv[] = {"plot", csv, "--runs", runs, NULL};
    assert_int_equal(kvb_cmd_plot(4, argv), KVB_EXIT_OK);
    snprintf(index, sizeof(index), "%s/fix/plots/index.html", t->dir);
    assert_true(exists(index));
    snprintf(index, sizeof(index), "%s/fix/plots/fix-dist-W1_WR100.png", t->dir);
    assert_true(exists(index));
}

/* ---- time series and repeats ---------------------------------------- */

static const char *const ts_stems[] = {
    "ts-latency-mem",        "ts-latency-lmdb",      "ts-compare-writer-p99",
    "ts-compare-reader-p99", "ts-compare-write-tps", "ts-compare-precondition-failure-rate",
    "ts-dist-RI0.5",         "ts-dist-RI0",          "ts-dist-RI0.25",
    "ts-timeseries-RI0.5",   "ts-timeseries-RI0.25",
};
#define NTS (sizeof(ts_stems) / sizeof(ts_stems[0]))

static void plot_ts_fixture(const char *dir, bool render)
{
    struct kvb_plot_opts o = {.no_render = !render};
    struct kvb_plot_info info;
    char err[2048] = "";
    int rc = kvb_plot_sweep_opts(TS_FIXTURE, NULL, dir, &o, &info, err, sizeof(err));
    if (rc != 0)
        fail_msg("kvb_plot_sweep: %d: %s", rc, err);
    assert_int_equal(info.figures, NTS);
    assert_int_equal(info.notes, 1); /* lmdb's RI0.5 has no repeat 1 */
}

/* Block `title` of a .dat file, up to the next block (malloc'd). */
static char *dat_block(const char *dat, const char *title)
{
    const char *b = strstr(dat, title);
    if (!b) {
        fail_msg("no block [%s] in:\n%s", title, dat);
        return NULL;
    }
    const char *e = strstr(b + 1, "\n# block ");
    return strndup(b, e ? (size_t)(e - b) : strlen(b));
}

/* The time-series figure: a block per backend and role from repeat 1 (or
 * the lowest repeat there is), two panels, the legend, the axes. */
static void test_ts_scripts(void **state)
{
    struct tmp *t = *state;
    plot_ts_fixture(t->dir, false);
    char *dat = slurp(t->dir, "ts-timeseries-RI0.5.dat");
    assert_contains(dat, "columns: t_mid_s t_start_s t_end_s ops_per_sec p99_ms samples\n");
    /* mem's writer, repeat 1: a stall (nothing completed: no p99), and a
     * last interval cut to 0.3 s whose 120 operations are 400/s, not the
     * summary's 240/s. */
    char *b = dat_block(dat, "# block 0: mem writer (interval 0.5 s; repeat 1 of 10; the last "
                             "interval is cut short by the end of the run");
    assert_contains(b, "\n0.25 0 0.5 400 0.5 200\n"
                       "0.75 0.5 1 400 0.6 200\n"
                       "1.25 1 1.5 0 NaN 0\n"
                       "1.65 1.5 1.8 400 80 120\n");
    free(b);
    b = dat_block(dat, "# block 1: mem reader (interval 0.5 s; repeat 1 of 10");
    assert_contains(b, "\n1.65 1.5 1.8 1000 0.08 300\n");
    free(b);
    b = dat_block(dat, "# block 2: mem scanner (interval 0.5 s; repeat 1 of 10");
    assert_contains(b, "\n0.25 0 0.5 20 5 10\n");
    free(b);
    /* lmdb has repeats 10 and 2 (in that order of names): 2 is drawn. */
    b = dat_block(dat, "# block 3: lmdb writer (interval 0.5 s; repeat 2 of 10");
    assert_contains(b, "\n0.25 0 0.5 200 2 100\n");
    free(b);
    assert_lacks(dat, "# block 4");
    assert_lacks(dat, " 999 "); /* mem's repeat 2 */
    assert_lacks(dat, " 111 "); /* lmdb's repeat 10 */
    free(dat);

    char *gp = slurp(t->dir, "ts-timeseries-RI0.5.gp");
    assert_contains(gp, "set output 'ts-timeseries-RI0.5.png'");
    assert_contains(gp, "set output 'ts-timeseries-RI0.5.svg'");
    /* The lines draw different repeats: each line says which. */
    assert_contains(gp, "set multiplot title 'RI0.5: throughput and p99 latency over time - "
                        "sweep ts' font ',13'");
    assert_contains(gp, "set title 'throughput'");
    assert_contains(gp, "set ylabel 'operations per second'");
    assert_contains(gp, "set title 'p99 latency'");
    assert_contains(gp, "set ylabel 'p99 latency (ms)'");
    assert_contains(gp, "set xlabel 'seconds into the measured window (intervals of 0.5 s)'");
    assert_contains(gp, "set xrange [0:1.8]");
    assert_contains(gp, "plot 'ts-timeseries-RI0.5.dat' index 0 using 1:4 with linespoints lc "
                        "rgb \"#1f77b4\" dt 1 lw 1.6 pt 7 ps 0.7 title 'mem writer (repeat 1 "
                        "of 10)'");
    assert_contains(gp, "index 1 using 1:4 with linespoints lc rgb \"#1f77b4\" dt 2 lw 1.6 pt 5 "
                        "ps 0.7 title 'mem reader (repeat 1 of 10)'");
    /* A role keeps its look in every figure: the scanner's is the fifth. */
    assert_contains(gp, "index 2 using 1:4 with linespoints lc rgb \"#1f77b4\" dt 5 lw 1.6 pt "
                        "13 ps 0.7 title 'mem scanner (repeat 1 of 10)'");
    assert_contains(gp, "index 3 using 1:4 with linespoints lc rgb \"#ff7f0e\" dt 1 lw 1.6 pt 7 "
                        "ps 0.7 title 'lmdb writer (repeat 2 of 10)'");
    assert_contains(gp, "keyentry with points pt 6 ps 1 lc rgb \"black\" title 'open point: p99 "
                        "of < 100 samples'");
    /* The p99 panel: the same blocks, open points below 100 samples. */
    assert_contains(gp, "index 0 using 1:5:(column(6) < 100 ? 6 : 7) with linespoints lc rgb "
                        "\"#1f77b4\" dt 1 lw 1.6 pt variable ps 0.9 notitle");
    assert_contains(gp, "index 3 using 1:5:(column(6) < 100 ? 6 : 7) with linespoints lc rgb "
                        "\"#ff7f0e\" dt 1 lw 1.6 pt variable ps 0.9 notitle");
    /* Throughput has a zero (the stall): linear; p99 0.05 .. 80 ms: log. */
    const char *p99 = strstr(gp, "set title 'p99 latency'");
    assert_non_null(p99);
    char *thr = strndup(gp, (size_t)(p99 - gp));
    assert_contains(thr, "unset logscale y");
    free(thr);
    assert_contains(p99, "set logscale y 10");
    assert_lacks(gp, "datafile missing"); /* NaN must break the line, not be skipped */
    free(gp);

    /* RI0.25: every drawn run is repeat 1, so the title says it once; the
     * run's 1 s hold four whole intervals; lmdb failed. */
    dat = slurp(t->dir, "ts-timeseries-RI0.25.dat");
    assert_contains(dat, "# block 0: mem writer (interval 0.25 s; repeat 1 of 10):");
    assert_contains(dat, "\n0.875 0.75 1 100 0.4 25\n");
    assert_lacks(dat, "\n1.125 ");
    assert_lacks(dat, "lmdb");
    free(dat);
    gp = slurp(t->dir, "ts-timeseries-RI0.25.gp");
    assert_contains(gp, "set multiplot title 'RI0.25: throughput and p99 latency over time - "
                        "sweep ts - repeat 1 of 10'");
    assert_contains(gp, "title 'mem writer', \\");
    assert_contains(gp, "keyentry with points " PL_TEST_FAILED " title 'lmdb: failed run'");
    assert_contains(gp, "set xlabel 'seconds into the measured window (intervals of 0.25 s)'");
    assert_contains(gp, "set xrange [0:1]");
    free(gp);

    /* RI0 has no time series in any run: no figure at all. */
    assert_true(file_size(t->dir, "ts-timeseries-RI0.dat") < 0);
    assert_true(file_size(t->dir, "ts-timeseries-RI0.gp") < 0);
    assert_int_equal(count_files(t->dir, "timeseries"), 4);

    /* The distributions draw the same repeats, and say so. */
    gp = slurp(t->dir, "ts-dist-RI0.5.gp");
    assert_contains(gp, "title 'mem (n=500) (repeat 1 of 10)'");
    assert_contains(gp, "title 'lmdb (n=222) (repeat 2 of 10)'");
    assert_lacks(gp, "n=777");
    assert_lacks(gp, "n=1010");
    free(gp);
    gp = slurp(t->dir, "ts-dist-RI0.gp");
    assert_contains(gp, "latency distribution by backend - sweep ts - repeat 1 of 10'");
    assert_contains(gp, "title 'mem (n=500)'");
    free(gp);
}

/* Drawn: PNG and SVG of both time-series figures, in index.html's own
 * section, with the note on the missing repeat 1. */
static void test_ts_render(void **state)
{
    struct tmp *t = *state;
    if (!have_gnuplot())
        skip();
    plot_ts_fixture(t->dir, true);
    for (size_t i = 0; i < NTS; i++) {
        char name[256];
        snprintf(name, sizeof(name), "%s.png", ts_stems[i]);
        char *png = slurp(t->dir, name);
        assert_memory_equal(png, "\x89PNG", 4);
        free(png);
        snprintf(name, sizeof(name), "%s.svg", ts_stems[i]);
        char *svg = slurp(t->dir, name);
        assert_contains(svg, "<svg");
        free(svg);
    }
    char *html = slurp(t->dir, "index.html");
    assert_contains(html, "<a href=\"#timeseries\">Over time</a>");
    const char *sec = strstr(html, "<h2 id=\"timeseries\">Over time</h2>");
    assert_non_null(sec);
    assert_contains(sec, "<img data-plot=\"ts-timeseries-RI0.5\"");
    assert_contains(sec, "<img data-plot=\"ts-timeseries-RI0.25\"");
    assert_contains(sec, "<a href=\"ts-timeseries-RI0.5.svg\">");
    assert_contains(sec, "<a href=\"ts-timeseries-RI0.5.dat\">data</a>");
    assert_lacks(html, "data-plot=\"ts-timeseries-RI0\"");
    assert_contains(html, "Configurations run several times");
    assert_contains(html, "1 of 6 rows of repeated configurations have no summary of their "
                          "repeat 1");
    assert_contains(html, "RI0.5 on lmdb, which draws repeat 2 of 10");
    size_t imgs = 0;
    for (const char *p = html; (p = strstr(p, "src=\"data:image/png;base64,iVBORw0KGgo")); p++)
        imgs++;
    assert_int_equal(imgs, NTS);
    free(html);
}

/* A summary with a writer time series of two intervals (every p99 is p99)
 * for label on mem, run_index 0, of a configuration run `repeat` times. */
static void write_run(const char *runs, const char *file, const char *label, const char *repeat,
                      double p99)
{
    char text[2048], path[PATH_MAX];
    snprintf(text, sizeof(text),
             "{\"label\": \"%s\", \"backend\": \"mem\", \"run_index\": 0,\n"
             " \"config\": {\"repeat\": \"%s\", \"duration\": \"1\"},\n"
             " \"row\": {\"duration_secs\": \"1\"},\n"
             " \"time_series\": {\"interval_secs\": 0.5, \"intervals\": 2,\n"
             "  \"writer\": {\"ops_per_sec\": [10, 10], \"p99_ms\": [%g, %g]}}}\n",
             label, repeat, p99, p99);
    kvbt_write_file(runs, file, text, path);
}

static void make_dir(const char *path)
{
    char cmd[PATH_MAX + 16];
    snprintf(cmd, sizeof(cmd), "mkdir -p '%s'", path);
    assert_int_equal(system(cmd), 0);
}

/* Summaries whose label looks like a repeat tag: NNNN-rK- is a repeat only
 * when the configuration was repeated, and then it comes before the label. */
static void test_repeat_lookalike(void **state)
{
    struct tmp *t = *state;
    static const char csv_text[] = "config_label,backend,status,num_writers,writer_rate,"
                                   "writer_p50_ms,writer_p99_ms,read_p50_ms,read_p99_ms,"
                                   "write_tps,precondition_failure_rate,run_index\n"
                                   "r2-x,mem,ok,1,10,1,2,1,2,10,0,0\n";
    char csv[PATH_MAX], runs[PATH_MAX], out[PATH_MAX], err[2048];
    struct kvb_plot_opts o = {.no_render = true};
    struct kvb_plot_info info;

    /* Run once, label "r2-x": 0000-r2-x-mem.json is no repeat 2. */
    kvbt_write_file(t->dir, "once.csv", csv_text, csv);
    snprintf(runs, sizeof(runs), "%s/once/runs", t->dir);
    make_dir(runs);
    write_run(runs, "0000-r2-x-mem.json", "r2-x", "1", 3);
    snprintf(out, sizeof(out), "%s/once/plots", t->dir);
    if (kvb_plot_sweep_opts(csv, NULL, out, &o, &info, err, sizeof(err)) != 0)
        fail_msg("%s", err);
    assert_int_equal(info.notes, 0);
    char *gp = slurp(out, "once-timeseries-r2-x.gp");
    assert_contains(gp, "title 'mem writer'");
    assert_lacks(gp, "repeat");
    free(gp);
    char *dat = slurp(out, "once-timeseries-r2-x.dat");
    assert_contains(dat, "# block 0: mem writer (interval 0.5 s): ");
    assert_contains(dat, "\n0.25 0 0.5 10 3 5\n");
    free(dat);

    /* Run twice, label "r2-x": repeat 1 is 0000-r1-r2-x-mem.json. */
    kvbt_write_file(t->dir, "twice.csv", csv_text, csv);
    snprintf(runs, sizeof(runs), "%s/twice/runs", t->dir);
    make_dir(runs);
    write_run(runs, "0000-r2-r2-x-mem.json", "r2-x", "2", 99);
    write_run(runs, "0000-r1-r2-x-mem.json", "r2-x", "2", 7);
    snprintf(out, sizeof(out), "%s/twice/plots", t->dir);
    if (kvb_plot_sweep_opts(csv, NULL, out, &o, &info, err, sizeof(err)) != 0)
        fail_msg("%s", err);
    assert_int_equal(info.notes, 0);
    gp = slurp(out, "twice-timeseries-r2-x.gp");
    assert_contains(gp, "over time - sweep twice - repeat 1 of 2'");
    free(gp);
    dat = slurp(out, "twice-timeseries-r2-x.dat");
    assert_contains(dat, "\n0.25 0 0.5 10 7 5\n");
    assert_lacks(dat, " 99 ");
    free(dat);
}

/* The name of the one file in dir that starts with prefix and ends with
 * suffix, into out (n bytes); fails the test unless there is exactly one. */
static void find_one(const char *dir, const char *prefix, const char *suffix, char *out, size_t n)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    size_t found = 0, pl = strlen(prefix), sl = strlen(suffix);
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len >= pl + sl && strncmp(e->d_name, prefix, pl) == 0 &&
            strcmp(e->d_name + len - sl, suffix) == 0) {
            snprintf(out, n, "%s", e->d_name);
            found++;
        }
    }
    closedir(d);
    if (found != 1)
        fail_msg("%zu files %s*%s in %s, expected one", found, prefix, suffix, dir);
}

/* A real sweep, `repeat: 2` with report_interval: the summaries the
 * scheduler names and writes are what the plotter reads; repeat 1 is drawn. */
static void test_sweep_repeat_ts(void **state)
{
    struct tmp *t = *state;
    char data[PATH_MAX + 16], results[PATH_MAX];
    snprintf(data, sizeof(data), "data_dir=%s/data", t->dir);
    snprintf(results, sizeof(results), "%s/results", t->dir);
    const char *sets[] = {
        "name=tsr",      "backends=mem",         "num_writers=1", "writer_rate=200",
        "num_readers=1", "reader_rate=400",      "duration=1",    "warmup=0.1",
        "repeat=2",      "report_interval=0.25", "parallel=2",    data,
    };
    struct kvb_sweep *sw = NULL;
    struct kvb_config_error ce;
    if (kvb_sweep_load(NULL, sets, sizeof(sets) / sizeof(sets[0]), &sw, &ce) != 0) {
        char msg[2048];
        kvb_config_error_format(&ce, msg, sizeof(msg));
        fail_msg("config: %s", msg);
    }
    struct kvb_sweep_opts so = {.outdir = results, .progress = -1};
    struct kvb_sweep_outcome res;
    char err[2048];
    int rc = kvb_sweep_execute(sw, &so, &res, err, sizeof(err));
    kvb_sweep_free(sw);
    if (rc != 0)
        fail_msg("sweep: %s", err);
    assert_int_equal(res.runs, 1);

    /* Both repeats' summaries, named as the plotter expects; repeat 1's
     * first writer interval is what the figure must show. */
    char runs[PATH_MAX], out[PATH_MAX], name[512], path[PATH_MAX + 512];
    snprintf(runs, sizeof(runs), "%s/tsr/runs", results);
    find_one(runs, "0000-r2-", ".json", name, sizeof(name));
    find_one(runs, "0000-r1-", ".json", name, sizeof(name));
    snprintf(path, sizeof(path), "%s/%s", runs, name);
    json_error_t je;
    json_t *doc = json_load_file(path, 0, &je);
    if (!doc)
        fail_msg("%s: %s", path, je.text);
    json_t *w = json_object_get(json_object_get(doc, "time_series"), "writer");
    double ops = json_number_value(json_array_get(json_object_get(w, "ops_per_sec"), 0));
    double p99 = json_number_value(json_array_get(json_object_get(w, "p99_ms"), 0));
    json_decref(doc);
    assert_true(ops > 0);

    struct kvb_plot_opts o = {.no_render = true};
    struct kvb_plot_info info;
    snprintf(out, sizeof(out), "%s/plots", t->dir);
    if (kvb_plot_sweep_opts(res.csv, NULL, out, &o, &info, err, sizeof(err)) != 0)
        fail_msg("%s", err);
    assert_int_equal(info.notes, 0);
    find_one(out, "tsr-dist-", ".gp", name, sizeof(name));
    find_one(out, "tsr-timeseries-", ".dat", name, sizeof(name));
    char *dat = slurp(out, name);
    assert_contains(dat, "# block 0: mem writer (interval 0.25 s; repeat 1 of 2): ");
    assert_contains(dat, "# block 1: mem reader (interval 0.25 s; repeat 1 of 2): ");
    char want[256];
    snprintf(want, sizeof(want), "\n0.125 0 0.25 %.9g %.9g %.9g\n", ops, p99, round(ops * 0.25));
    assert_contains(dat, want);
    free(dat);
    find_one(out, "tsr-timeseries-", ".gp", name, sizeof(name));
    char *gp = slurp(out, name);
    assert_contains(gp, "throughput and p99 latency over time - sweep tsr - repeat 1 of 2'");
    free(gp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_fixture_files, setup, teardown),
        cmocka_unit_test_setup_teardown(test_latency_script, setup, teardown),
        cmocka_unit_test_setup_teardown(test_compare_scripts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dist_scripts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_csv, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_gnuplot, setup, teardown),
        cmocka_unit_test_setup_teardown(test_gnuplot_fails, setup, teardown),
        cmocka_unit_test_setup_teardown(test_special_labels, setup, teardown),
        cmocka_unit_test_setup_teardown(test_all_failed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_index_html, setup, teardown),
        cmocka_unit_test_setup_teardown(test_contended_runs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_chromium, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cmd_plot, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ts_scripts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ts_render, setup, teardown),
        cmocka_unit_test_setup_teardown(test_repeat_lookalike, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sweep_repeat_ts, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
