// Counts heap allocations for the "static memory" tests (DESIGN.md: after start-up
// the forward pass, sampler and scheduler step allocate nothing).
//
// AllocationCountingSupport.c defines malloc & co. When it is linked into the test
// executable, the executable's definitions come first in ELF symbol lookup, so every
// allocation in the process — Swift runtime, stdlib, libc itself — goes through them;
// they forward to glibc's __libc_* entry points. No LD_PRELOAD needed.
//
// Counting is per sink: a thread attached to a sink adds one to it per allocation
// call; threads attached to no sink (the test runner's other tests running in
// parallel) are not counted.
#ifndef ALLOCATION_COUNTING_SUPPORT_H
#define ALLOCATION_COUNTING_SUPPORT_H

#include <stdint.h>

typedef struct aglm_allocation_sink aglm_allocation_sink;

/// A new sink at zero. Allocates (do it outside the measured region).
aglm_allocation_sink *aglm_allocation_sink_create(void);
void aglm_allocation_sink_destroy(aglm_allocation_sink *sink);

/// Allocation calls counted so far by the threads attached to `sink`.
int64_t aglm_allocation_sink_count(const aglm_allocation_sink *sink);

/// Attaches the calling thread to `sink` (NULL detaches it) and returns the sink it
/// was attached to before, so that measurements can nest.
aglm_allocation_sink *aglm_allocation_sink_attach_current_thread(aglm_allocation_sink *sink);

#endif
