// See include/AllocationCountingSupport.h. glibc documents replacing malloc by
// defining malloc, free, calloc and realloc (plus the aligned variants) in the
// program; it routes its own internal allocations through them too.
#define _GNU_SOURCE
#include "AllocationCountingSupport.h"

#include <errno.h>
#include <stdatomic.h>
#include <stddef.h>

extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t count, size_t size);
extern void *__libc_realloc(void *pointer, size_t size);
extern void __libc_free(void *pointer);
extern void *__libc_memalign(size_t alignment, size_t size);
extern void *__libc_valloc(size_t size);
extern void *__libc_pvalloc(size_t size);

struct aglm_allocation_sink {
    _Atomic int64_t count;
};

// Initial-exec TLS of the executable: reading it never allocates, which matters
// because it is read inside malloc.
static _Thread_local aglm_allocation_sink *current_sink = NULL;

static inline void count_allocation(void) {
    aglm_allocation_sink *sink = current_sink;
    if (sink != NULL) atomic_fetch_add_explicit(&sink->count, 1, memory_order_relaxed);
}

void *malloc(size_t size) {
    count_allocation();
    return __libc_malloc(size);
}

void *calloc(size_t count, size_t size) {
    count_allocation();
    return __libc_calloc(count, size);
}

void *realloc(void *pointer, size_t size) {
    count_allocation();
    return __libc_realloc(pointer, size);
}

void free(void *pointer) { __libc_free(pointer); }

void *memalign(size_t alignment, size_t size) {
    count_allocation();
    return __libc_memalign(alignment, size);
}

void *aligned_alloc(size_t alignment, size_t size) {
    count_allocation();
    return __libc_memalign(alignment, size);
}

int posix_memalign(void **result, size_t alignment, size_t size) {
    count_allocation();
    // posix_memalign's own contract: a power of two and a multiple of sizeof(void *).
    if (alignment % sizeof(void *) != 0 || (alignment & (alignment - 1)) != 0 || alignment == 0) return EINVAL;
    void *pointer = __libc_memalign(alignment, size);
    if (pointer == NULL) return ENOMEM;
    *result = pointer;
    return 0;
}

void *valloc(size_t size) {
    count_allocation();
    return __libc_valloc(size);
}

void *pvalloc(size_t size) {
    count_allocation();
    return __libc_pvalloc(size);
}

aglm_allocation_sink *aglm_allocation_sink_create(void) {
    aglm_allocation_sink *sink = __libc_malloc(sizeof *sink);
    if (sink != NULL) atomic_init(&sink->count, 0);
    return sink;
}

void aglm_allocation_sink_destroy(aglm_allocation_sink *sink) { __libc_free(sink); }

int64_t aglm_allocation_sink_count(const aglm_allocation_sink *sink) {
    return atomic_load_explicit(&((aglm_allocation_sink *)sink)->count, memory_order_relaxed);
}

aglm_allocation_sink *aglm_allocation_sink_attach_current_thread(aglm_allocation_sink *sink) {
    aglm_allocation_sink *previous = current_sink;
    current_sink = sink;
    return previous;
}
