/*
 * clock.h - the one clock the harness reads on its hot path, and sleeping
 * until an absolute time on it.
 */
#ifndef KVB_UTIL_CLOCK_H
#define KVB_UTIL_CLOCK_H

#include <stdint.h>
#include <time.h>

/* Nanoseconds on CLOCK_MONOTONIC. A vDSO call: no syscall, ~20 ns. */
static inline uint64_t kvb_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Nanoseconds since the Unix epoch (CLOCK_REALTIME), for timestamps people read. */
static inline uint64_t kvb_wall_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Sleeps until kvb_now_ns() >= t (absolute, restarted on EINTR). */
void kvb_sleep_until(uint64_t t);

#endif
