import Glibc
import Synchronization
import Testing
@testable import AutoGLMCore

@Suite struct ThreadPoolTests {
    /// Per-task results in unsafe buffers: tasks on different threads write disjoint
    /// slots, which Swift's exclusivity checking on a captured Array would reject.
    final class TaskRecord {
        let count: Int
        let value: UnsafeMutableBufferPointer<UInt64>
        let runs: UnsafeMutableBufferPointer<Int>
        let thread: UnsafeMutableBufferPointer<pthread_t>
        init(_ count: Int) {
            self.count = count
            value = .allocate(capacity: max(count, 1))
            runs = .allocate(capacity: max(count, 1))
            thread = .allocate(capacity: max(count, 1))
            value.initialize(repeating: 0)
            runs.initialize(repeating: 0)
            thread.initialize(repeating: 0)
        }
        deinit { value.deallocate(); runs.deallocate(); thread.deallocate() }
    }

    static func work(_ task: Int, _ round: Int) -> UInt64 {
        var x = UInt64(task) &* 0x9E37_79B9_7F4A_7C15 &+ UInt64(round)
        for _ in 0..<50 { x = (x ^ (x >> 29)) &* 0xBF58_476D_1CE4_E5B9 }
        return x
    }

    /// Records what ran where, as a reusable task object.
    final class RecordingTask: ThreadPoolTask {
        var record = TaskRecord(0)
        var round = 0
        func run(task: Int) {
            record.value[task] = ThreadPoolTests.work(task, round)
            record.runs[task] += 1
            record.thread[task] = pthread_self()
        }
    }

    @Test(arguments: 1...4)
    func everyTaskRunsOnceOnItsOwnThreadWithSerialResults(threads: Int) throws {
        let pool = try ThreadPool(threads: threads)
        #expect(pool.threadCount == threads)
        let caller = pthread_self()
        let recordingTask = RecordingTask()
        for round in 0..<120 {
            let taskCount = [0, 1, 2, 3, 5, 8, 64, 1001][round % 8]
            let record = TaskRecord(taskCount)
            if round % 2 == 0 {
                pool.run(taskCount) { task in
                    record.value[task] = Self.work(task, round)
                    record.runs[task] += 1
                    record.thread[task] = pthread_self()
                }
            } else {
                recordingTask.record = record
                recordingTask.round = round
                pool.run(taskCount, recordingTask)
            }
            for task in 0..<taskCount {
                #expect(record.runs[task] == 1)
                #expect(record.value[task] == Self.work(task, round))
                // Static partition: task i on thread i % threadCount, the caller being thread 0.
                let owner = task % threads
                #expect((record.thread[task] == caller) == (owner == 0))
                if task >= threads { #expect(record.thread[task] == record.thread[owner]) }
                for other in 0..<min(task, threads) where other != owner {
                    #expect(record.thread[task] != record.thread[other])
                }
            }
        }
    }

    final class SumTask: ThreadPoolTask {
        let sums = UnsafeMutableBufferPointer<UInt64>.allocate(capacity: 1000)
        var round = 0
        deinit { sums.deallocate() }
        func run(task: Int) { sums[task] = ThreadPoolTests.work(task, round) }
    }

    /// Attaches every pool thread to `counter`: run(threadCount) hands exactly one
    /// task to each thread.
    static func attach(_ pool: ThreadPool, to counter: AllocationCounter?) {
        pool.run(pool.threadCount) { _ in
            if let counter { counter.attachCurrentThread() } else { AllocationCounter.detachCurrentThread() }
        }
    }

    @Test func runWithATaskObjectAllocatesNothingAfterWarmUp() throws {
        let pool = try ThreadPool(threads: 3)
        let counter = AllocationCounter()
        let sumTask = SumTask()
        pool.run(1000, sumTask)  // warm-up
        Self.attach(pool, to: counter)
        let before = counter.total
        for round in 0..<100 {
            sumTask.round = round
            pool.run(1000, sumTask)
        }
        let allocations = counter.total - before
        Self.attach(pool, to: nil)
        #expect(allocations == 0)
        #expect(sumTask.sums[999] == Self.work(999, 99))
    }

    @Test func runWithAClosureAllocatesAtMostTheEscapeBox() throws {
        let sums = UnsafeMutableBufferPointer<UInt64>.allocate(capacity: 64)
        defer { sums.deallocate() }
        // One thread: the closure runs inline, nothing to box.
        let inline = try ThreadPool(threads: 1)
        inline.run(64) { task in sums[task] = Self.work(task, 0) }
        #expect(AllocationCounter.count { inline.run(64) { task in sums[task] = Self.work(task, 1) } } == 0)
        // Several threads: withoutActuallyEscaping's box, one per call, and nothing else.
        let pool = try ThreadPool(threads: 2)
        pool.run(64) { task in sums[task] = Self.work(task, 0) }
        let counter = AllocationCounter()
        Self.attach(pool, to: counter)
        let before = counter.total
        for round in 0..<50 { pool.run(64) { task in sums[task] = Self.work(task, round) } }
        let allocations = counter.total - before
        Self.attach(pool, to: nil)
        #expect(allocations <= 50)
        #expect(sums[63] == Self.work(63, 49))
    }

    /// Linux thread id of the calling thread, from /proc/thread-self → "<pid>/task/<tid>".
    static func currentThreadID() -> String {
        var buffer = [CChar](repeating: 0, count: 64)
        let n = readlink("/proc/thread-self", &buffer, 63)
        precondition(n > 0)
        return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    @Test func deinitStopsAndJoinsTheWorkers() throws {
        let caller = Self.currentThreadID()
        for _ in 0..<20 {
            let record = UnsafeMutableBufferPointer<String>.allocate(capacity: 4)
            record.initialize(repeating: "")
            defer { record.deinitialize(); record.deallocate() }
            do {
                let pool = try ThreadPool(threads: 4)
                pool.run(4) { task in record[task] = Self.currentThreadID() }
            }  // the pool is released here; deinit returns only after joining
            let workers = Array(record[1...])
            #expect(Set(workers).count == 3 && !workers.contains(caller))
            for worker in workers {
                #expect(access("/proc/" + worker, F_OK) != 0, "worker \(worker) still alive")
            }
        }
    }

    /// Idle workers end up asleep on the futex (not polling), and a run wakes them: every
    /// task still runs once, on its own thread. The pool is dropped while they sleep, so
    /// deinit must wake them to join them.
    @Test func idleWorkersParkAndTheNextRunWakesThem() throws {
        let pool = try ThreadPool(threads: 3)
        let caller = pthread_self()
        let task = RecordingTask()
        for round in 0..<3 {
            // Generous: the workers park after ThreadPool.idleNanosecondsBeforePark.
            var waitedMilliseconds = 0
            while pool.parkedWorkers < 2 && waitedMilliseconds < 20_000 {
                usleep(1000)
                waitedMilliseconds += 1
            }
            #expect(pool.parkedWorkers == 2, "workers still polling after \(waitedMilliseconds) ms idle")
            task.record = TaskRecord(7)
            task.round = round
            pool.run(7, task)
            for i in 0..<7 {
                #expect(task.record.runs[i] == 1 && task.record.value[i] == Self.work(i, round))
                #expect((task.record.thread[i] == caller) == (i % 3 == 0))
            }
        }
        while pool.parkedWorkers < 2 { usleep(1000) }
    }

    @Test func invalidThreadCountsAreRejected() {
        for threads in [0, -1, ThreadPool.maximumThreads + 1] {
            do {
                _ = try ThreadPool(threads: threads)
                Issue.record("threads = \(threads) accepted")
            } catch {
                guard case .invalidArgument(let name, _, _) = error else { Issue.record("\(error)"); continue }
                #expect(name == "threads")
            }
        }
    }

    @Test func singleThreadRunsInlineOnTheCaller() throws {
        let pool = try ThreadPool(threads: 1)
        let caller = pthread_self()
        var order = [Int]()
        pool.run(5) { task in
            #expect(pthread_self() == caller)
            order.append(task)
        }
        #expect(order == [0, 1, 2, 3, 4])
    }

    @Test func pinnedPoolRunsOrReportsWhyNot() {
        do {
            let pool = try ThreadPool(threads: 2, pinToCores: true)
            let hits = Atomic<Int>(0)
            pool.run(10) { _ in hits.add(1, ordering: .relaxed) }
            #expect(hits.load(ordering: .relaxed) == 10)
        } catch {
            // Only acceptable where the CPU set forbids pinning (e.g. a restricted cpuset).
            guard case .invalidArgument(let name, _, _) = error else { Issue.record("\(error)"); return }
            #expect(name == "pinToCores")
        }
    }
}
