import AllocationCountingSupport

/// Counts heap allocation calls (malloc, calloc, realloc, posix_memalign,
/// aligned_alloc, memalign, valloc, pvalloc) made by the threads attached to it.
/// The counting itself is Tests/AllocationCountingSupport: it replaces malloc & co.
/// in the test executable, so this is a real count, not an estimate.
///
/// Only attached threads count, so tests running in parallel do not disturb each
/// other's measurements.
final class AllocationCounter {
    private let sink: OpaquePointer

    init() {
        sink = aglm_allocation_sink_create()!
    }

    deinit {
        aglm_allocation_sink_destroy(sink)
    }

    /// Allocations counted so far.
    var total: Int { Int(aglm_allocation_sink_count(sink)) }

    /// From now on, the calling thread's allocations count here (say, a pool worker's).
    func attachCurrentThread() {
        _ = aglm_allocation_sink_attach_current_thread(sink)
    }

    static func detachCurrentThread() {
        _ = aglm_allocation_sink_attach_current_thread(nil)
    }

    /// How many allocation calls the calling thread makes while `body` runs.
    static func count(_ body: () -> Void) -> Int {
        let counter = AllocationCounter()  // allocates, so before attaching
        let previous = aglm_allocation_sink_attach_current_thread(counter.sink)
        body()
        _ = aglm_allocation_sink_attach_current_thread(previous)
        return counter.total
    }
}
