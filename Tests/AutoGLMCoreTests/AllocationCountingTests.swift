import Glibc
import Testing

/// Proves that AllocationCounter counts real allocations, so that a 0 from it in the
/// sampler and thread-pool tests means "allocates nothing", not "counter not wired".
@Suite struct AllocationCountingTests {
    @Test func emptyBodyCountsZero() {
        #expect(AllocationCounter.count {} == 0)
    }

    @Test func arrayCreationIsCounted() {
        let allocations = AllocationCounter.count {
            let array = [Int](repeating: 0, count: 1000)
            keepAlive(array)
        }
        #expect(allocations >= 1)
    }

    @Test func alignedAllocationIsCounted() {
        // Alignment above 16 makes the Swift runtime use posix_memalign/aligned_alloc.
        let allocations = AllocationCounter.count {
            let p = UnsafeMutableRawPointer.allocate(byteCount: 256, alignment: 128)
            p.deallocate()
        }
        #expect(allocations == 1)
    }

    @Test func callocAndReallocAreCountedOncePerCall() {
        let allocations = AllocationCounter.count {
            let p = calloc(4, 8)
            let q = realloc(p, 4096)
            free(q)
        }
        #expect(allocations == 2)
    }

    @Test func onlyAttachedThreadsCount() {
        let counter = AllocationCounter()
        var thread = pthread_t()
        let created = pthread_create(&thread, nil, { context in
            let counter = Unmanaged<AllocationCounter>.fromOpaque(context!).takeUnretainedValue()
            counter.attachCurrentThread()
            keepAlive([Int](repeating: 1, count: 100))
            AllocationCounter.detachCurrentThread()
            return nil
        }, Unmanaged.passUnretained(counter).toOpaque())
        #expect(created == 0)
        pthread_join(thread, nil)
        let countedOnWorker = counter.total
        keepAlive([Int](repeating: 2, count: 100))  // this thread is not attached
        #expect(countedOnWorker >= 1)
        #expect(counter.total == countedOnWorker)
    }
}

@inline(never)
func keepAlive<T>(_ value: T) {
    withExtendedLifetime(value) {}
}
