/*
 * clock.c - sleeping until an absolute time on CLOCK_MONOTONIC, the clock
 * kvb_now_ns reads. Pacing sleeps to absolute deadlines so that the time
 * spent computing the next one, or a signal, never shifts the schedule.
 */
#include "util/clock.h"

#include <errno.h>

void kvb_sleep_until(uint64_t t)
{
    struct timespec ts = {
        .tv_sec = (time_t)(t / 1000000000u),
        .tv_nsec = (long)(t % 1000000000u),
    };
    /* clock_nanosleep returns the error rather than setting errno. A signal
     * interrupts it with EINTR: sleep again to the same deadline. Any other
     * error (EINVAL: not possible with a valid timespec) just returns. */
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR) {
    }
}
