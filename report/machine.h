/*
 * machine.h - a description of the machine a run happened on, so numbers
 * can be compared only with numbers from a like machine.
 */
#ifndef KVB_REPORT_MACHINE_H
#define KVB_REPORT_MACHINE_H

#include <jansson.h>

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

#endif
