#ifndef PARLEY_ALLOCATION_COUNTER_H
#define PARLEY_ALLOCATION_COUNTER_H
#include <stdint.h>

/* Counts heap allocations (malloc, calloc, realloc, memalign, posix_memalign,
   aligned_alloc) made by the calling thread between start and stop. The test
   executable defines these symbols, so they interpose glibc's for the whole
   process; counting itself is per thread. */
void parley_allocation_counting_start(void);
uint64_t parley_allocation_counting_stop(void);
/* 1 when the interposer is active in this process (a probe allocation was seen). */
int parley_allocation_counter_active(void);
#endif
