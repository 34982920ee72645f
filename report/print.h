/*
 * print.h - one run's result as text a person reads at a terminal (what
 * `kvbench run` prints).
 */
#ifndef KVB_REPORT_PRINT_H
#define KVB_REPORT_PRINT_H

#include <stdio.h>

#include "workloads/result.h"
#include "workloads/run.h"

/* Prints a readable summary of run spec's result res to out: each role's
 * rate and latencies, violations, the verdict, the process's figures. */
void kvb_print_result(FILE *out, const struct kvb_run_spec *spec, const struct kvb_result *res);

#endif
