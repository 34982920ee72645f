/*
 * machine.h - a description of the machine a run happened on, so numbers
 * can be compared only with numbers from a like machine.
 */
#ifndef KVB_REPORT_MACHINE_H
#define KVB_REPORT_MACHINE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

struct kvb_machine {
    char hostname[64];
    char cpu[128];     /* model name from /proc/cpuinfo */
    unsigned cores;    /* online logical CPUs */
    double mem_gib;    /* MemTotal */
    char kernel[160];  /* uname -srm */
    char fs[32];       /* filesystem type of the data directory (ext4, tmpfs, ...) */
    char fs_device[128]; /* what is mounted there */
};

/* Fills m; dir is the data directory whose filesystem is described. Fields
 * that cannot be read are "unknown" / 0. */
void kvb_machine_probe(struct kvb_machine *m, const char *dir);

/* A new JSON object with m's fields (caller owns the reference). */
json_t *kvb_machine_json(const struct kvb_machine *m);

/*
 * The machine's CPU load, read at moments a caller chooses (the sweep's
 * parent: when a run starts and ends, and once a second). Linux's pressure
 * stall information, /proc/pressure/cpu, has a "some" total: the
 * microseconds during which at least one runnable task waited for a CPU,
 * whatever its process (a benchmark's own threads, the runs beside it,
 * anything else on the machine). The 1-minute load average is the fallback
 * where the kernel has no PSI.
 */
struct kvb_cpu_gauge {
    uint64_t t_ns;    /* when (CLOCK_MONOTONIC) */
    bool psi;         /* /proc/pressure/cpu was read: some_us holds */
    uint64_t some_us; /* its "some" total: microseconds in which a runnable task waited */
    double load1;     /* 1-minute load average; NaN when unknown */
};

void kvb_cpu_gauge_read(struct kvb_cpu_gauge *g);

/* The total= of the "some" line of /proc/pressure/cpu's text into *some_us.
 * Returns 0, or -1 when there is none. */
int kvb_psi_parse(const char *text, uint64_t *some_us);

/* Percentage of the time from a to b during which some task waited for a
 * CPU; NaN when either reading lacks PSI or no time passed. */
double kvb_cpu_pressure_pct(const struct kvb_cpu_gauge *a, const struct kvb_cpu_gauge *b);

/* Figures were taken under CPU contention when some task waited for a CPU
 * during at least KVB_CONTENDED_PRESSURE_PCT percent of the time they took
 * (PSI "some"), or, where the kernel has no PSI (pressure_pct NaN), when the
 * 1-minute load average per core passed KVB_CONTENDED_LOAD_PER_CORE (a
 * coarse figure: it lags by a minute and counts tasks waiting for a disk). */
#define KVB_CONTENDED_PRESSURE_PCT 10.0
#define KVB_CONTENDED_LOAD_PER_CORE 1.0
bool kvb_contended(double pressure_pct, double load_per_core);

#endif
