/* machine.c - reads /proc and the mount table to describe the machine, and
 * /proc/pressure/cpu and /proc/loadavg for its CPU load (see machine.h). */
#include "report/machine.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "util/clock.h"

static void read_cpu(struct kvb_machine *m)
{
    FILE *f = fopen("/proc/cpuinfo", "r");
    char line[512];
    if (!f)
        return;
    while (fgets(line, sizeof(line), f)) {
        char *colon = strchr(line, ':');
        if (strncmp(line, "model name", 10) == 0 && colon) {
            colon++;
            while (*colon == ' ' || *colon == '\t')
                colon++;
            colon[strcspn(colon, "\n")] = '\0';
            snprintf(m->cpu, sizeof(m->cpu), "%s", colon);
            break;
        }
    }
    fclose(f);
}

static void read_mem(struct kvb_machine *m)
{
    FILE *f = fopen("/proc/meminfo", "r");
    char line[256];
    unsigned long long kb;
    if (!f)
        return;
    while (fgets(line, sizeof(line), f))
        if (sscanf(line, "MemTotal: %llu kB", &kb) == 1)
            m->mem_gib = (double)kb / (1024.0 * 1024.0);
    fclose(f);
}

/* The mount whose mount point is the longest prefix of dir. */
static void read_fs(struct kvb_machine *m, const char *dir)
{
    char real[4096];
    if (!dir || !realpath(dir, real))
        return;
    FILE *f = fopen("/proc/self/mounts", "r");
    char dev[256], mnt[1024], type[64];
    size_t best = 0;
    if (!f)
        return;
    while (fscanf(f, "%255s %1023s %63s %*[^\n]", dev, mnt, type) == 3) {
        size_t l = strlen(mnt);
        bool under = strncmp(real, mnt, l) == 0 && (real[l] == '/' || real[l] == '\0' || l == 1);
        if (under && l >= best) {
            best = l;
            snprintf(m->fs, sizeof(m->fs), "%.31s", type);
            snprintf(m->fs_device, sizeof(m->fs_device), "%.127s", dev);
        }
    }
    fclose(f);
}

void kvb_machine_probe(struct kvb_machine *m, const char *dir)
{
    memset(m, 0, sizeof(*m));
    strcpy(m->cpu, "unknown");
    strcpy(m->kernel, "unknown");
    strcpy(m->fs, "unknown");
    strcpy(m->fs_device, "unknown");
    if (gethostname(m->hostname, sizeof(m->hostname) - 1) != 0)
        strcpy(m->hostname, "unknown");
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    m->cores = n > 0 ? (unsigned)n : 0;
    read_cpu(m);
    read_mem(m);
    struct utsname u;
    if (uname(&u) == 0)
        snprintf(m->kernel, sizeof(m->kernel), "%.32s %.64s %.32s", u.sysname, u.release, u.machine);
    read_fs(m, dir);
}

json_t *kvb_machine_json(const struct kvb_machine *m)
{
    return json_pack("{s:s, s:s, s:I, s:f, s:s, s:s, s:s}", "hostname", m->hostname, "cpu",
                     m->cpu, "cores", (json_int_t)m->cores, "memory_gib", m->mem_gib, "kernel",
                     m->kernel, "filesystem", m->fs, "device", m->fs_device);
}

/* The "some" line of /proc/pressure/cpu: "some avg10=A avg60=B avg300=C total=US". */
int kvb_psi_parse(const char *text, uint64_t *some_us)
{
    const char *line = text;
    while (line) {
        unsigned long long total;
        if (sscanf(line, "some avg10=%*f avg60=%*f avg300=%*f total=%llu", &total) == 1) {
            *some_us = total;
            return 0;
        }
        line = strchr(line, '\n');
        if (line)
            line++;
    }
    return -1;
}

void kvb_cpu_gauge_read(struct kvb_cpu_gauge *g)
{
    char text[512];
    size_t n;
    *g = (struct kvb_cpu_gauge){.t_ns = kvb_now_ns(), .load1 = NAN};
    FILE *f = fopen("/proc/pressure/cpu", "r");
    if (f) {
        n = fread(text, 1, sizeof(text) - 1, f);
        text[n] = '\0';
        g->psi = kvb_psi_parse(text, &g->some_us) == 0;
        fclose(f);
    }
    f = fopen("/proc/loadavg", "r");
    if (f) {
        if (fscanf(f, "%lf", &g->load1) != 1)
            g->load1 = NAN;
        fclose(f);
    }
}

double kvb_cpu_pressure_pct(const struct kvb_cpu_gauge *a, const struct kvb_cpu_gauge *b)
{
    if (!a->psi || !b->psi || b->t_ns <= a->t_ns || b->some_us < a->some_us)
        return NAN;
    double pct = (double)(b->some_us - a->some_us) * 1e3 / (double)(b->t_ns - a->t_ns) * 100.0;
    return pct > 100.0 ? 100.0 : pct;
}

bool kvb_contended(double pressure_pct, double load_per_core)
{
    if (!isnan(pressure_pct))
        return pressure_pct >= KVB_CONTENDED_PRESSURE_PCT;
    return !isnan(load_per_core) && load_per_core > KVB_CONTENDED_LOAD_PER_CORE;
}
