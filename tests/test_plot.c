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
 * Chromium when /usr/bin/chromium exists, and skips otherwise.
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

#include "cli/commands.h"
#include "report/plot.h"
#include "tests/testutil.h"

#define FIXTURE KVB_SOURCE_DIR "/tests/fixtures/plot/fix.csv"
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
    free(html);
}

/* Headless Chromium loads index.html and every image decodes. */
static void test_chromium(void **state)
{
    struct tmp *t = *state;
    const char *chromium = "/usr/bin/chromium";
    if (access(chromium, X_OK) != 0 || !have_gnuplot())
        skip();
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
    size_t cap = 1 << 20, len = 0, n;
    char *dom = malloc(cap);
    assert_non_null(dom);
    while ((n = fread(dom + len, 1, cap - len - 1, p)) > 0) {
        len += n;
        if (cap - len < 2) {
            dom = realloc(dom, cap *= 2);
            assert_non_null(dom);
        }
    }
    dom[len] = '\0';
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
        cmocka_unit_test_setup_teardown(test_chromium, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cmd_plot, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
