/* clock.h - monotonic and wall-clock time. Thread-safe. */
#ifndef GH_LIB_CLOCK_H
#define GH_LIB_CLOCK_H

#include <stdint.h>

/* Milliseconds on CLOCK_MONOTONIC: for timers and ages. */
uint64_t clock_mono_ms(void);
/* Nanoseconds on CLOCK_MONOTONIC: for measurements. */
uint64_t clock_mono_ns(void);
/* Seconds since the epoch (wall clock): for stored timestamps. */
int64_t clock_wall_s(void);
/* ISO 8601 UTC with milliseconds, "2026-11-24T11:30:00.000Z"; buf at least 25 bytes. */
void clock_iso8601(int64_t wall_s, char *buf, unsigned cap);

#endif
