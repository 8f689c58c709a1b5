#define _GNU_SOURCE
#include "CAllocationCounter.h"
#include <stddef.h>
#include <errno.h>

/* glibc's own entry points, exported for exactly this purpose. */
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);
extern void __libc_free(void *);

static __thread int counting = 0;
static __thread uint64_t count = 0;

#define COUNT() do { if (counting) count++; } while (0)

void *malloc(size_t n) { COUNT(); return __libc_malloc(n); }
void *calloc(size_t a, size_t b) { COUNT(); return __libc_calloc(a, b); }
void *realloc(void *p, size_t n) { COUNT(); return __libc_realloc(p, n); }
void free(void *p) { __libc_free(p); }
void *memalign(size_t align, size_t n) { COUNT(); return __libc_memalign(align, n); }
void *aligned_alloc(size_t align, size_t n) { COUNT(); return __libc_memalign(align, n); }
int posix_memalign(void **out, size_t align, size_t n) {
    COUNT();
    if (align % sizeof(void *) != 0 || (align & (align - 1)) != 0) return EINVAL;
    void *p = __libc_memalign(align, n);
    if (!p) return ENOMEM;
    *out = p;
    return 0;
}

void parley_allocation_counting_start(void) { count = 0; counting = 1; }
uint64_t parley_allocation_counting_stop(void) { counting = 0; return count; }

int parley_allocation_counter_active(void) {
    parley_allocation_counting_start();
    void *volatile p = malloc(24);
    uint64_t n = parley_allocation_counting_stop();
    free(p);
    return n == 1;
}
