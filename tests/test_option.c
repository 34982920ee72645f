/*
 * test_option.c - the option table: what each type accepts and rejects, the
 * exact error sentences, bounds, defaults, look-up and suggestions, that
 * kvb_opt_format round-trips through kvb_opt_parse, and --help's layout.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/option.h"
#include "util/text.h"

struct cfg {
    bool flag;
    unsigned writers;
    unsigned any;
    uint64_t keys;
    uint64_t cache;
    double ratio;
    double offset;
    double duration;
    char name[16];
    char note[8];
    int arrival;
    double interval;
};

static const char *const arrivals[] = {"fixed", "poisson", NULL};

static const struct kvb_option table[] = {
    {.name = "flag",
     .type = KVB_OPT_BOOL,
     .offset = offsetof(struct cfg, flag),
     .def = "yes",
     .help = "a switch"},
    {.name = "num_writers",
     .label = "W",
     .type = KVB_OPT_UINT,
     .offset = offsetof(struct cfg, writers),
     .min = 1,
     .max = 64,
     .def = "4",
     .help = "monotonic writer threads"},
    {.name = "any",
     .type = KVB_OPT_UINT,
     .offset = offsetof(struct cfg, any),
     .help = "any unsigned"},
    {.name = "key_count",
     .type = KVB_OPT_U64,
     .offset = offsetof(struct cfg, keys),
     .def = "1000000",
     .help = "keys"},
    {.name = "cache_size",
     .type = KVB_OPT_SIZE,
     .offset = offsetof(struct cfg, cache),
     .min = 4096,
     .def = "64MiB",
     .help = "cache"},
    {.name = "ratio",
     .type = KVB_OPT_DOUBLE,
     .offset = offsetof(struct cfg, ratio),
     .min = 0,
     .max = 1,
     .def = "0.5",
     .help = "a fraction"},
    {.name = "offset",
     .type = KVB_OPT_DOUBLE,
     .offset = offsetof(struct cfg, offset),
     .min = -DBL_MAX,
     .help = "any finite number"},
    {.name = "duration",
     .type = KVB_OPT_SECONDS,
     .offset = offsetof(struct cfg, duration),
     .min = 0.001,
     .def = "10s",
     .help = "measured time"},
    {.name = "name",
     .type = KVB_OPT_STRING,
     .offset = offsetof(struct cfg, name),
     .size = sizeof(((struct cfg *)0)->name),
     .min = 1,
     .def = "sweep",
     .help = "sweep name"},
    {.name = "note",
     .type = KVB_OPT_STRING,
     .offset = offsetof(struct cfg, note),
     .size = sizeof(((struct cfg *)0)->note),
     .help = "optional"},
    {.name = "arrival",
     .type = KVB_OPT_ENUM,
     .offset = offsetof(struct cfg, arrival),
     .choices = arrivals,
     .def = "poisson",
     .help = "inter-arrival times"},
    {.name = "interval",
     .type = KVB_OPT_SECONDS,
     .offset = offsetof(struct cfg, interval),
     .def = "250ms",
     .help = "pause"},
    {0},
};

static const struct kvb_option *row(const char *name)
{
    const struct kvb_option *o = kvb_opt_find(table, name);
    assert_non_null(o);
    return o;
}

/* Parses text into a fresh struct; fails the test on error. */
static struct cfg parse_ok(const char *name, const char *text)
{
    struct cfg c;
    memset(&c, 0xA5, sizeof(c));
    char err[KVB_OPT_ERRLEN] = "";
    if (kvb_opt_parse(row(name), text, &c, err, sizeof(err)) != 0)
        fail_msg("%s='%s' rejected: %s", name, text, err);
    return c;
}

/* Expects text to be rejected with exactly the message want (NULL: any),
 * leaving the target untouched. */
static void parse_bad(const char *name, const char *text, const char *want)
{
    struct cfg c, before;
    memset(&c, 0x5A, sizeof(c));
    before = c;
    char err[KVB_OPT_ERRLEN] = "";
    if (kvb_opt_parse(row(name), text, &c, err, sizeof(err)) == 0)
        fail_msg("%s='%s' accepted", name, text);
    assert_memory_equal(&c, &before, sizeof(c));
    assert_true(strlen(err) > 0);
    assert_non_null(strstr(err, "expected "));
    if (want)
        assert_string_equal(err, want);
}

static void test_bool(void **state)
{
    (void)state;
    const char *yes[] = {"true", "yes", "on", "1", "TRUE", "Yes", " on "};
    const char *no[] = {"false", "no", "off", "0", "False", "NO", "\toff\n"};
    for (size_t i = 0; i < 7; i++) {
        assert_true(parse_ok("flag", yes[i]).flag);
        assert_false(parse_ok("flag", no[i]).flag);
    }
    parse_bad("flag", "maybe", "expected a boolean (true/false, yes/no, on/off, 1/0), got 'maybe'");
    parse_bad("flag", "", NULL);
    parse_bad("flag", "2", NULL);
    parse_bad("flag", "y", NULL);
}

static void test_uint(void **state)
{
    (void)state;
    assert_int_equal(parse_ok("num_writers", "1").writers, 1);
    assert_int_equal(parse_ok("num_writers", "64").writers, 64);
    assert_int_equal(parse_ok("num_writers", " 7 ").writers, 7);
    assert_int_equal(parse_ok("num_writers", "007").writers, 7); /* decimal, not octal */
    parse_bad("num_writers", "0", "expected an integer in [1, 64], got '0' (out of range)");
    parse_bad("num_writers", "65", "expected an integer in [1, 64], got '65' (out of range)");
    parse_bad("num_writers", "abc", "expected an integer in [1, 64], got 'abc'");
    parse_bad("num_writers", "-1", NULL);
    parse_bad("num_writers", "+3", NULL);
    parse_bad("num_writers", "1.5", NULL);
    parse_bad("num_writers", "2e1", NULL);
    parse_bad("num_writers", "0x10", NULL);
    parse_bad("num_writers", "12abc", NULL);
    parse_bad("num_writers", "", NULL);
    parse_bad("num_writers", "1 2", NULL);

    assert_int_equal(parse_ok("any", "0").any, 0);
    assert_int_equal(parse_ok("any", "4294967295").any, 4294967295u);
    parse_bad("any", "4294967296",
              "expected a non-negative integer, got '4294967296' (larger than 4294967295)");
    parse_bad("any", "99999999999999999999999", NULL);
    parse_bad("any", "abc", "expected a non-negative integer, got 'abc'");
}

static void test_u64(void **state)
{
    (void)state;
    assert_true(parse_ok("key_count", "18446744073709551615").keys == UINT64_MAX);
    assert_true(parse_ok("key_count", "0").keys == 0);
    parse_bad("key_count", "18446744073709551616", NULL);
    parse_bad("key_count", "-5", NULL);
    parse_bad("key_count", "1e6", NULL);
}

static void test_size(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        uint64_t want;
    } ok[] = {
        {"4096", 4096},
        {"4k", 4096},
        {"4K", 4096},
        {"4KB", 4096},
        {"4kb", 4096},
        {"4KiB", 4096},
        {"4kib", 4096},
        {"4 KiB", 4096},
        {"8192b", 8192},
        {"8192B", 8192},
        {"1M", 1u << 20},
        {"1MB", 1u << 20},
        {"64MiB", 64u << 20},
        {"2G", 2ull << 30},
        {"1GiB", 1ull << 30},
        {"1T", 1ull << 40},
        {"3TiB", 3ull << 40},
        {"1.5G", 3ull << 29},
        {"0.5M", 512u << 10},
        {"4.25k", 4352},
        {" 16 MiB ", 16u << 20},
        {"16777215T", 16777215ull << 40},
    };
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        uint64_t got = parse_ok("cache_size", ok[i].text).cache;
        if (got != ok[i].want)
            fail_msg("'%s': got %llu, want %llu", ok[i].text, (unsigned long long)got,
                     (unsigned long long)ok[i].want);
    }
    const char *exp = "expected a size >= 4KiB (bytes, or with a suffix k, M, G, T: powers of "
                      "1024), got ";
    char want[KVB_OPT_ERRLEN];
    snprintf(want, sizeof(want), "%s'1000' (out of range)", exp);
    parse_bad("cache_size", "1000", want);
    snprintf(want, sizeof(want), "%s'4x' (unknown suffix)", exp);
    parse_bad("cache_size", "4x", want);
    snprintf(want, sizeof(want), "%s'16777216T' (too large)", exp);
    parse_bad("cache_size", "16777216T", want);
    snprintf(want, sizeof(want), "%s'1.0001M' (not a whole number of bytes)", exp);
    parse_bad("cache_size", "1.0001M", want);
    parse_bad("cache_size", "4KiBs", NULL);
    parse_bad("cache_size", "4iB", NULL);
    parse_bad("cache_size", "4Kb0", NULL);
    parse_bad("cache_size", "k", NULL);
    parse_bad("cache_size", "-4k", NULL);
    parse_bad("cache_size", "4e3k", NULL);
    parse_bad("cache_size", "99999999999999999999", NULL);
    parse_bad("cache_size", "", NULL);
}

static void test_double(void **state)
{
    (void)state;
    assert_true(parse_ok("ratio", "0.25").ratio == 0.25);
    assert_true(parse_ok("ratio", "0").ratio == 0);
    assert_true(parse_ok("ratio", "1").ratio == 1);
    assert_true(parse_ok("ratio", "1e-3").ratio == 1e-3);
    assert_true(parse_ok("ratio", ".5").ratio == 0.5);
    assert_true(parse_ok("offset", "5.").offset == 5);
    parse_bad("ratio", "1.5", "expected a number in [0, 1], got '1.5' (out of range)");
    parse_bad("ratio", "-0.1", NULL);
    parse_bad("ratio", "abc", "expected a number in [0, 1], got 'abc'");
    parse_bad("ratio", "0.5x", NULL);
    parse_bad("ratio", "", NULL);

    assert_true(parse_ok("offset", "-3.5").offset == -3.5);
    assert_true(parse_ok("offset", "1e300").offset == 1e300);
    assert_true(parse_ok("offset", "-1E+10").offset == -1e10);
    parse_bad("offset", "inf", "expected a number, got 'inf'");
    parse_bad("offset", "-inf", NULL);
    parse_bad("offset", "nan", NULL);
    parse_bad("offset", "NaN", NULL);
    parse_bad("offset", "0x1p3", NULL);
    parse_bad("offset", "1e400", "expected a number, got '1e400' (not finite)");
    parse_bad("offset", "1e", NULL);
    parse_bad("offset", "--1", NULL);
    parse_bad("offset", ".", NULL);
}

static void test_seconds(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        double want;
    } ok[] = {
        {"10", 10},           {"1.5", 1.5},       {"30s", 30},
        {"250ms", 0.25},      {"1500us", 0.0015}, {"2000\xc2\xb5s", 0.002},
        {"5000000ns", 0.005}, {"2m", 120},        {"1min", 60},
        {"1h", 3600},         {"1.5 h", 5400},    {"0.001", 0.001},
        {"1ms", 0.001},       {"1e3ms", 1},       {" 2s ", 2},
    };
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        double got = parse_ok("duration", ok[i].text).duration;
        if (got != ok[i].want)
            fail_msg("'%s': got %.17g, want %.17g", ok[i].text, got, ok[i].want);
    }
    parse_bad("duration", "1d",
              "expected a duration >= 0.001s (seconds, or with a unit: ns, us, ms, s, m, h), "
              "got '1d' (unknown unit)");
    parse_bad("duration", "0",
              "expected a duration >= 0.001s (seconds, or with a unit: ns, us, ms, s, m, h), "
              "got '0' (out of range)");
    parse_bad("duration", "999us", NULL);
    parse_bad("duration", "-1s", NULL);
    parse_bad("duration", "h", NULL);
    parse_bad("duration", "10 x", NULL);
    parse_bad("duration", "inf", NULL);
    parse_bad("duration", "1e400h", NULL);
    parse_bad("duration", "1S", NULL);
}

static void test_string(void **state)
{
    (void)state;
    assert_string_equal(parse_ok("name", "hello").name, "hello");
    assert_string_equal(parse_ok("name", " spaced ").name, " spaced "); /* kept as is */
    assert_string_equal(parse_ok("name", "fifteen chars!!").name, "fifteen chars!!");
    parse_bad("name", "sixteen chars!!!",
              "expected a non-empty string of at most 15 characters, got 'sixteen chars!!!' "
              "(too long)");
    parse_bad("name", "", "expected a non-empty string of at most 15 characters, got ''");
    assert_string_equal(parse_ok("note", "").note, "");
    assert_string_equal(parse_ok("note", "1234567").note, "1234567");
    parse_bad("note", "12345678", NULL);

    /* a long bad value is cut in the message, which still fits the buffer */
    char longer[300];
    memset(longer, 'x', sizeof(longer) - 1);
    longer[sizeof(longer) - 1] = '\0';
    struct cfg c;
    char err[KVB_OPT_ERRLEN];
    assert_int_equal(kvb_opt_parse(row("name"), longer, &c, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "xxx...' (too long)"));
    assert_int_equal(kvb_opt_parse(row("num_writers"), longer, &c, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "expected an integer in [1, 64]"));
}

static void test_enum(void **state)
{
    (void)state;
    assert_int_equal(parse_ok("arrival", "fixed").arrival, 0);
    assert_int_equal(parse_ok("arrival", "poisson").arrival, 1);
    assert_int_equal(parse_ok("arrival", " poisson ").arrival, 1);
    parse_bad("arrival", "poison",
              "expected one of: fixed, poisson, got 'poison' (did you mean 'poisson'?)");
    parse_bad("arrival", "Fixed",
              "expected one of: fixed, poisson, got 'Fixed' (did you mean 'fixed'?)");
    parse_bad("arrival", "uniform", "expected one of: fixed, poisson, got 'uniform'");
    parse_bad("arrival", "", NULL);
    parse_bad("arrival", "1", NULL);
}

static void test_find_and_closest(void **state)
{
    (void)state;
    assert_ptr_equal(kvb_opt_find(table, "duration"), &table[7]);
    assert_null(kvb_opt_find(table, "durations"));
    assert_null(kvb_opt_find(table, ""));
    assert_string_equal(kvb_opt_closest(table, "num_writer"), "num_writers");
    assert_string_equal(kvb_opt_closest(table, "duraton"), "duration");
    assert_string_equal(kvb_opt_closest(table, "key_cuont"), "key_count");
    assert_string_equal(kvb_opt_closest(table, "nmae"), "name");
    assert_null(kvb_opt_closest(table, "zzzzzzzz"));
    assert_null(kvb_opt_closest(table, "num_readers"));

    /* the same rule over any table of structs that name their rows */
    static const struct row {
        int id;
        const char *name;
    } rows[] = {{1, "sweep"}, {2, "swap"}, {3, "run"}, {4, NULL}, {5, "lmdb"}};
    const size_t off = offsetof(struct row, name);
    assert_string_equal(kvb_closest_field("swep", rows, 5, sizeof(rows[0]), off), "sweep");
    assert_string_equal(kvb_closest_field("rn", rows, 5, sizeof(rows[0]), off), "run");
    assert_null(kvb_closest_field("lmbd", rows, 5, sizeof(rows[0]), off)); /* past the NULL */
    assert_null(kvb_closest_field("sweep", rows, 0, sizeof(rows[0]), off));
}

static void test_defaults(void **state)
{
    (void)state;
    struct cfg c;
    memset(&c, 0xA5, sizeof(c));
    char err[KVB_OPT_ERRLEN];
    assert_int_equal(kvb_opt_defaults(table, &c, err, sizeof(err)), 0);
    assert_true(c.flag);
    assert_int_equal(c.writers, 4);
    assert_int_equal(c.any, 0);
    assert_true(c.keys == 1000000);
    assert_true(c.cache == 64u << 20);
    assert_true(c.ratio == 0.5);
    assert_true(c.offset == 0);
    assert_true(c.duration == 10);
    assert_string_equal(c.name, "sweep");
    assert_string_equal(c.note, "");
    assert_int_equal(c.arrival, 1);
    assert_true(c.interval == 0.25);

    static const struct kvb_option broken[] = {
        {.name = "ok", .type = KVB_OPT_UINT, .offset = offsetof(struct cfg, any), .def = "3"},
        {.name = "threads",
         .type = KVB_OPT_UINT,
         .offset = offsetof(struct cfg, writers),
         .min = 1,
         .max = 8,
         .def = "16"},
        {0},
    };
    assert_int_equal(kvb_opt_defaults(broken, &c, err, sizeof(err)), -1);
    assert_string_equal(err, "option 'threads': default '16' does not parse: expected an "
                             "integer in [1, 8], got '16' (out of range)");
}

/* Formats row name of c, parses the text into a fresh struct and checks the
 * field comes back identical (bit for bit). Returns the text. */
static const char *round_trip(const char *name, const struct cfg *c)
{
    static char buf[128];
    const struct kvb_option *o = row(name);
    int n = kvb_opt_format(o, c, buf, sizeof(buf));
    assert_int_equal(n, (int)strlen(buf));
    struct cfg back;
    memset(&back, 0, sizeof(back));
    char err[KVB_OPT_ERRLEN];
    if (kvb_opt_parse(o, buf, &back, err, sizeof(err)) != 0)
        fail_msg("%s: formatted '%s' does not parse: %s", name, buf, err);
    size_t len = o->type == KVB_OPT_STRING ? o->size
                 : o->type == KVB_OPT_BOOL ? sizeof(bool)
                 : o->type == KVB_OPT_UINT ? sizeof(unsigned)
                 : o->type == KVB_OPT_ENUM ? sizeof(int)
                                           : 8;
    if (o->type == KVB_OPT_STRING)
        assert_string_equal((const char *)c + o->offset, (const char *)&back + o->offset);
    else
        assert_memory_equal((const char *)c + o->offset, (const char *)&back + o->offset, len);
    return buf;
}

static uint64_t rng_state = 42;

static uint64_t rng_next(void) /* splitmix64 */
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static void test_format_round_trip(void **state)
{
    (void)state;
    struct cfg c;
    memset(&c, 0, sizeof(c));
    char err[KVB_OPT_ERRLEN];
    assert_int_equal(kvb_opt_defaults(table, &c, err, sizeof(err)), 0);

    /* every row at its default */
    for (const struct kvb_option *o = table; o->name; o++)
        round_trip(o->name, &c);

    /* shortest text for common values */
    c.flag = false;
    assert_string_equal(round_trip("flag", &c), "false");
    c.writers = 17;
    assert_string_equal(round_trip("num_writers", &c), "17");
    c.keys = UINT64_MAX;
    assert_string_equal(round_trip("key_count", &c), "18446744073709551615");
    c.cache = 64u << 20; /* sizes are written in bytes */
    assert_string_equal(round_trip("cache_size", &c), "67108864");
    c.ratio = 0.1;
    assert_string_equal(round_trip("ratio", &c), "0.1");
    c.ratio = 1.0 / 3;
    assert_string_equal(round_trip("ratio", &c), "0.3333333333333333"); /* 16 digits suffice */
    c.offset = 1e6;
    assert_string_equal(round_trip("offset", &c), "1000000");
    c.offset = -2.5e-7;
    assert_string_equal(round_trip("offset", &c), "-2.5e-07");
    c.offset = 1e300;
    assert_string_equal(round_trip("offset", &c), "1e+300");
    c.duration = 0.25;
    assert_string_equal(round_trip("duration", &c), "0.25");
    strcpy(c.name, "a, \"b\"");
    assert_string_equal(round_trip("name", &c), "a, \"b\"");
    c.arrival = 0;
    assert_string_equal(round_trip("arrival", &c), "fixed");

    /* hard doubles: extremes, subnormals, ulp neighbours */
    const double hard[] = {DBL_MAX,
                           -DBL_MAX,
                           DBL_MIN,
                           4.9406564584124654e-324,
                           0.1 + 0.2,
                           nextafter(1.0, 2.0),
                           nextafter(1.0, 0.0),
                           123456789012345678.0,
                           999999999999999.9,
                           1e15,
                           1e15 + 1,
                           -0.0};
    for (size_t i = 0; i < sizeof(hard) / sizeof(hard[0]); i++) {
        c.offset = hard[i];
        round_trip("offset", &c);
    }
    /* random finite doubles of every magnitude */
    for (int i = 0; i < 20000; i++) {
        uint64_t bits = rng_next();
        double d;
        memcpy(&d, &bits, sizeof(d));
        if (!isfinite(d))
            continue;
        c.offset = d;
        round_trip("offset", &c);
    }
    /* random durations from the parser itself: "N<unit>" */
    static const char *const units[] = {"ns", "us", "ms", "s", "m", "h"};
    for (int i = 0; i < 2000; i++) {
        char text[64];
        snprintf(text, sizeof(text), "%llu%s", (unsigned long long)(rng_next() % 100000 + 1),
                 units[i % 6]);
        struct cfg p = parse_ok("interval", text);
        round_trip("interval", &p);
    }
    /* random sizes */
    for (int i = 0; i < 2000; i++) {
        c.cache = 4096 + rng_next() % (1ull << 50);
        round_trip("cache_size", &c);
    }
}

static void test_expect(void **state)
{
    (void)state;
    char buf[KVB_OPT_ERRLEN];
    kvb_opt_expect(row("num_writers"), buf, sizeof(buf));
    assert_string_equal(buf, "integer in [1, 64]");
    kvb_opt_expect(row("any"), buf, sizeof(buf));
    assert_string_equal(buf, "non-negative integer");
    kvb_opt_expect(row("arrival"), buf, sizeof(buf));
    assert_string_equal(buf, "one of: fixed, poisson");
    kvb_opt_expect(row("offset"), buf, sizeof(buf));
    assert_string_equal(buf, "number");
    kvb_opt_expect(row("note"), buf, sizeof(buf));
    assert_string_equal(buf, "string of at most 7 characters");

    static const struct kvb_option more[] = {
        {.name = "a", .type = KVB_OPT_U64, .min = 1},
        {.name = "b", .type = KVB_OPT_SIZE, .min = 1 << 20, .max = 1ull << 30},
        {.name = "c", .type = KVB_OPT_SECONDS, .min = 0},
        {.name = "d", .type = KVB_OPT_DOUBLE, .min = -DBL_MAX, .max = 100},
        {0},
    };
    kvb_opt_expect(&more[0], buf, sizeof(buf));
    assert_string_equal(buf, "integer >= 1");
    kvb_opt_expect(&more[1], buf, sizeof(buf));
    assert_string_equal(buf, "size in [1MiB, 1GiB] (bytes, or with a suffix k, M, G, T: powers "
                             "of 1024)");
    kvb_opt_expect(&more[2], buf, sizeof(buf));
    assert_string_equal(buf, "non-negative duration (seconds, or with a unit: ns, us, ms, s, m, "
                             "h)");
    kvb_opt_expect(&more[3], buf, sizeof(buf));
    assert_string_equal(buf, "number <= 100");

    /* a short buffer is cut, not overrun */
    char tiny[8];
    kvb_opt_expect(row("arrival"), tiny, sizeof(tiny));
    assert_string_equal(tiny, "one of:");
}

static void test_print_help(void **state)
{
    (void)state;
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    kvb_opt_print_help(f, table, 2);
    assert_int_equal(fclose(f), 0);

    /* one line per row, each indented by 2, help texts in one column */
    size_t lines = 0;
    long help_col = -1;
    const struct kvb_option *o = table;
    for (char *line = text, *nl; (nl = strchr(line, '\n')); line = nl + 1, o++) {
        *nl = '\0';
        assert_non_null(o->name);
        assert_true(strncmp(line, "  ", 2) == 0 && line[2] != ' ');
        assert_true(strncmp(line + 2, o->name, strlen(o->name)) == 0);
        size_t ll = strlen(line), hl = strlen(o->help);
        assert_true(ll > hl && strcmp(line + ll - hl, o->help) == 0);
        char *help = line + ll - hl;
        if (help_col < 0)
            help_col = help - line;
        assert_int_equal(help - line, help_col);
        lines++;
        if (strcmp(o->name, "num_writers") == 0) {
            assert_non_null(strstr(line, "<int>"));
            assert_non_null(strstr(line, "(default 4)"));
        }
        if (strcmp(o->name, "arrival") == 0) {
            assert_non_null(strstr(line, "<fixed|poisson>"));
            assert_non_null(strstr(line, "(default poisson)"));
        }
        if (strcmp(o->name, "cache_size") == 0)
            assert_non_null(strstr(line, "(default 64MiB)"));
        if (strcmp(o->name, "any") == 0)
            assert_non_null(strstr(line, "(default 0)"));
        if (strcmp(o->name, "note") == 0)
            assert_null(strstr(line, "(default"));
    }
    assert_int_equal(lines, sizeof(table) / sizeof(table[0]) - 1);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bool),
        cmocka_unit_test(test_uint),
        cmocka_unit_test(test_u64),
        cmocka_unit_test(test_size),
        cmocka_unit_test(test_double),
        cmocka_unit_test(test_seconds),
        cmocka_unit_test(test_string),
        cmocka_unit_test(test_enum),
        cmocka_unit_test(test_find_and_closest),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_format_round_trip),
        cmocka_unit_test(test_expect),
        cmocka_unit_test(test_print_help),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
