/* machine.c - reads /proc and the mount table to describe the machine. */
#include "report/machine.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

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
