import CAutoGLMSys
import Synchronization

/// Work for `ThreadPool.run`: `run(task:)` is called once for each task index, from
/// whichever pool thread owns that index. A class, so a kernel can create its task
/// object at start-up and refill its fields before each call; handing an existing
/// object to the workers allocates nothing, whereas a closure has to be boxed (see
/// `ThreadPool.run(_:_:)` with a closure).
public protocol ThreadPoolTask: AnyObject {
    func run(task: Int)
}

/// Persistent worker threads for the engine's parallel loops (matmul rows, heads).
///
/// The workers are started once, here, and live until deinit; `run` only publishes a
/// job and waits, so it starts no thread. Work is split statically — task i always
/// runs on thread i % threadCount, the calling thread being thread 0 — so which
/// thread computes what never depends on timing, and a result reduced per thread
/// comes out the same on every run.
///
/// Waiting spins briefly, then yields the core with sched_yield. An idle worker keeps
/// polling (yielding) for `idleNanosecondsBeforePark` — longer than any gap between two
/// runs of a decode step, so during generation no wake-up costs a system call — and
/// then parks on a futex, so a started-but-idle pool (a daemon between requests) uses
/// no CPU. `run` wakes parked workers only when there are any (one atomic load otherwise).
///
/// `run` must be called from one thread at a time and not from inside a task.
public final class ThreadPool {
    /// More threads than this is a configuration error, not a bigger machine.
    public static let maximumThreads = 256
    /// Loads of a flag before a waiting thread starts yielding its core: long enough
    /// to cover the gap between two kernels of one step, short next to a time slice.
    static let spinsBeforeYield = 4096
    /// Idle time after which a worker stops polling and parks: well above the gaps of a
    /// decode step (sampling, norms, attention set-up: tens of µs), well below what
    /// anyone would notice as idle CPU.
    static let idleNanosecondsBeforePark: UInt64 = 2_000_000
    /// Each shared flag gets its own 128 bytes: two 64-byte lines, because x86's
    /// adjacent-line prefetcher pairs lines and some Arm cores use 128-byte lines.
    static let flagStride = 128

    public var threadCount: Int { workerCount + 1 }

    private let workerCount: Int
    /// One `ThreadPoolJobLine`, one `ThreadPoolParking` line, then one `ThreadPoolWorkerLine`
    /// per worker, each on its own `flagStride` bytes.
    private let lines: UnsafeMutableRawPointer
    private let threadHandles: UnsafeMutablePointer<UInt64>
    private let closureTask = ClosureTask()
    private var generation = 0
    private var isRunning = false

    /// `pinToCores` pins worker w (thread w + 1) to CPU (w + 1) mod the online CPU count;
    /// the calling thread is left as it is (pin it yourself to CPU 0 if wanted).
    public init(threads: Int, pinToCores: Bool = false) throws(CoreError) {
        guard threads >= 1, threads <= Self.maximumThreads else {
            throw .invalidArgument(name: "threads", value: "\(threads)",
                                   reason: "must be between 1 and \(Self.maximumThreads)")
        }
        precondition(MemoryLayout<ThreadPoolJobLine>.size <= Self.flagStride
                     && MemoryLayout<ThreadPoolWorkerLine>.size <= Self.flagStride)
        let workerCount = threads - 1
        let byteCount = (Self.sharedLines + workerCount) * Self.flagStride
        guard let lines = aglm_aligned_alloc(Self.flagStride, byteCount) else {
            throw .memory(.allocationFailed(bytes: byteCount))
        }
        let job = lines.bindMemory(to: ThreadPoolJobLine.self, capacity: 1)
        job.initialize(to: ThreadPoolJobLine(generation: Atomic(0), taskCount: 0, task: nil))
        let parking = ThreadPoolParking(initializing: lines + Self.flagStride)
        let cpuCount = Int(aglm_cpu_count())
        for w in 0..<workerCount {
            (lines + (Self.sharedLines + w) * Self.flagStride).bindMemory(to: ThreadPoolWorkerLine.self, capacity: 1)
                .initialize(to: ThreadPoolWorkerLine(
                    state: Atomic(ThreadPoolWorkerLine.notStarted), job: job, parking: parking, threadIndex: w + 1,
                    threadCount: threads, cpuToPin: pinToCores ? Int32((w + 1) % cpuCount) : -1))
        }
        let handles = UnsafeMutablePointer<UInt64>.allocate(capacity: max(workerCount, 1))

        // Start every worker and wait until each has reported in, so a pinning failure
        // surfaces here rather than as a silently unpinned thread.
        var failure: CoreError? = nil
        var started = 0
        while started < workerCount {
            let handle = aglm_thread_start(threadPoolWorkerMain, UnsafeMutableRawPointer(Self.worker(started, in: lines)))
            if handle == 0 {
                failure = .invalidArgument(name: "threads", value: "\(threads)",
                                           reason: "could not start worker thread \(started + 1)")
                break
            }
            handles[started] = handle
            started += 1
        }
        for w in 0..<started {
            let worker = Self.worker(w, in: lines)
            Self.wait { worker.pointee.state.load(ordering: .acquiring) != ThreadPoolWorkerLine.notStarted }
            if failure == nil && worker.pointee.state.load(ordering: .acquiring) == ThreadPoolWorkerLine.pinFailed {
                failure = .invalidArgument(name: "pinToCores", value: "true",
                                           reason: "could not pin worker thread \(w + 1) to CPU \(worker.pointee.cpuToPin)")
            }
        }
        if let failure {
            Self.stop(workerCount: workerCount, started: started, lines: lines, handles: handles)
            throw failure
        }
        self.workerCount = workerCount
        self.lines = lines
        self.threadHandles = handles
    }

    deinit {
        Self.stop(workerCount: workerCount, started: workerCount, lines: lines, handles: threadHandles)
    }

    /// Calls task.run(task: i) for every i in 0..<taskCount across the pool and returns
    /// when all are done. Allocates nothing.
    public func run(_ taskCount: Int, _ task: any ThreadPoolTask) {
        if taskCount <= 0 { return }
        if workerCount == 0 || taskCount == 1 {
            for i in 0..<taskCount { task.run(task: i) }  // all of it is thread 0's share anyway
            return
        }
        // A nested run would overwrite the job the workers are reading.
        precondition(!isRunning, "ThreadPool.run called from inside a task")
        isRunning = true
        defer { isRunning = false }
        let job = lines.assumingMemoryBound(to: ThreadPoolJobLine.self)
        generation += 1
        job.pointee.taskCount = taskCount
        job.pointee.task = task
        // Sequentially consistent, paired with the parking worker's: either the worker
        // sees this generation before it sleeps, or this thread sees it parked and wakes it.
        job.pointee.generation.store(generation, ordering: .sequentiallyConsistent)
        Self.parking(in: lines).wakeIfAnyParked()
        var i = 0
        while i < taskCount {
            task.run(task: i)
            i += threadCount
        }
        let published = generation
        for w in 0..<workerCount {
            let worker = Self.worker(w, in: lines)
            Self.wait { worker.pointee.state.load(ordering: .acquiring) == published }
        }
        job.pointee.task = nil
    }

    /// The same for a closure. With more than one thread and task this allocates one
    /// small box per call: Swift can hand a non-escaping closure to another thread
    /// only through withoutActuallyEscaping, whose escaping copy is heap-allocated
    /// (measured, -Onone and -O alike). Per-token paths use the `ThreadPoolTask` form.
    public func run(_ taskCount: Int, _ body: (Int) -> Void) {
        if workerCount == 0 || taskCount <= 1 {
            for i in 0..<max(taskCount, 0) { body(i) }
            return
        }
        withoutActuallyEscaping(body) { body in
            closureTask.body = body
            run(taskCount, closureTask)
            closureTask.body = { _ in }  // drop it before withoutActuallyEscaping checks
        }
    }

    /// Lines before the first worker's: the job, the parking lot.
    static let sharedLines = 2

    static func worker(_ index: Int, in lines: UnsafeMutableRawPointer) -> UnsafeMutablePointer<ThreadPoolWorkerLine> {
        (lines + (sharedLines + index) * flagStride).assumingMemoryBound(to: ThreadPoolWorkerLine.self)
    }

    /// The parking lot in the second shared line (already initialized).
    static func parking(in lines: UnsafeMutableRawPointer) -> ThreadPoolParking {
        ThreadPoolParking(lines + flagStride)
    }

    /// Workers asleep on the futex right now (for tests and diagnostics).
    var parkedWorkers: Int { Self.parking(in: lines).parked.pointee.load(ordering: .sequentiallyConsistent) }

    @inline(__always)
    static func wait(until condition: () -> Bool) {
        var spins = 0
        while !condition() {
            if spins < spinsBeforeYield { spins += 1 } else { aglm_thread_yield() }
        }
    }

    /// Tells the workers to exit, joins the `started` ones, and frees the shared lines.
    private static func stop(
        workerCount: Int, started: Int, lines: UnsafeMutableRawPointer, handles: UnsafeMutablePointer<UInt64>
    ) {
        let job = lines.assumingMemoryBound(to: ThreadPoolJobLine.self)
        job.pointee.generation.store(ThreadPoolJobLine.shutdown, ordering: .sequentiallyConsistent)
        parking(in: lines).wakeIfAnyParked()
        for w in 0..<started {
            let joined = aglm_thread_join(handles[w])
            precondition(joined == 0, "ThreadPool: joining worker thread failed")
        }
        for w in 0..<workerCount { _ = worker(w, in: lines).deinitialize(count: 1) }
        parking(in: lines).deinitialize()
        _ = job.deinitialize(count: 1)
        handles.deallocate()
        aglm_free(lines)
    }
}

/// Adapts a closure to `ThreadPoolTask`; one per pool, reused by every closure run.
private final class ClosureTask: ThreadPoolTask {
    var body: (Int) -> Void = { _ in }
    func run(task: Int) { body(task) }
}

/// What the calling thread publishes for one run. The plain fields are written
/// before the release-store of `generation` and read after its acquire-load.
struct ThreadPoolJobLine: ~Copyable {
    /// Bumped once per run; `shutdown` tells the workers to exit.
    let generation: Atomic<Int>
    var taskCount: Int
    /// The run's work while a run is in flight.
    var task: (any ThreadPoolTask)?

    static let shutdown = -1
}

/// Where idle workers sleep: the second shared line, holding the futex word at its start
/// and the count of parked workers after it. A parked worker sleeps while the word holds
/// the value it read before its last look at the job's generation; every wake bumps the
/// word, so a wake between that look and the sleep is never lost.
struct ThreadPoolParking {
    /// The futex word (an Atomic<UInt32> is laid out as a plain UInt32 at this address).
    let wakeSequence: UnsafeMutablePointer<Atomic<UInt32>>
    /// Workers between announcing that they park and leaving the futex.
    let parked: UnsafeMutablePointer<Atomic<Int>>

    /// Initializes the counters in the (flagStride-sized) line at `line`.
    init(initializing line: UnsafeMutableRawPointer) {
        wakeSequence = line.bindMemory(to: Atomic<UInt32>.self, capacity: 1)
        wakeSequence.initialize(to: Atomic(0))
        parked = (line + MemoryLayout<Int>.stride).bindMemory(to: Atomic<Int>.self, capacity: 1)
        parked.initialize(to: Atomic(0))
    }

    /// The lot already initialized in `line`.
    init(_ line: UnsafeMutableRawPointer) {
        wakeSequence = line.assumingMemoryBound(to: Atomic<UInt32>.self)
        parked = (line + MemoryLayout<Int>.stride).assumingMemoryBound(to: Atomic<Int>.self)
    }

    func deinitialize() {
        _ = wakeSequence.deinitialize(count: 1)
        _ = parked.deinitialize(count: 1)
    }

    /// Called after publishing a new generation (sequentially consistent).
    @inline(__always)
    func wakeIfAnyParked() {
        guard parked.pointee.load(ordering: .sequentiallyConsistent) > 0 else { return }
        wakeSequence.pointee.wrappingAdd(1, ordering: .sequentiallyConsistent)
        aglm_futex_wake_all(UnsafeMutableRawPointer(wakeSequence))
    }

    /// Sleeps until `job`'s generation differs from `finished`, then returns it.
    func park(_ job: UnsafeMutablePointer<ThreadPoolJobLine>, finished: Int) -> Int {
        parked.pointee.wrappingAdd(1, ordering: .sequentiallyConsistent)
        defer { parked.pointee.wrappingSubtract(1, ordering: .sequentiallyConsistent) }
        while true {
            let sequence = wakeSequence.pointee.load(ordering: .sequentiallyConsistent)
            let current = job.pointee.generation.load(ordering: .sequentiallyConsistent)
            if current != finished { return current }
            aglm_futex_wait(UnsafeMutableRawPointer(wakeSequence), sequence)
        }
    }
}

/// One worker's line: its fixed identity and the one flag it writes.
struct ThreadPoolWorkerLine: ~Copyable {
    /// The generation this worker last finished, or one of the start-up states below.
    let state: Atomic<Int>
    let job: UnsafeMutablePointer<ThreadPoolJobLine>
    let parking: ThreadPoolParking
    let threadIndex: Int
    let threadCount: Int
    /// -1: leave the thread unpinned.
    let cpuToPin: Int32

    static let notStarted = -1
    static let pinFailed = -2
}

/// Body of every worker thread: wait for a new generation, run this thread's share of
/// the tasks, report it done; exit on shutdown.
private func threadPoolWorkerMain(_ context: UnsafeMutableRawPointer?) {
    let worker = context!.assumingMemoryBound(to: ThreadPoolWorkerLine.self)
    let job = worker.pointee.job
    let threadIndex = worker.pointee.threadIndex
    let threadCount = worker.pointee.threadCount
    var pinned = true
    if worker.pointee.cpuToPin >= 0 { pinned = aglm_pin_current_thread(worker.pointee.cpuToPin) == 0 }
    // Generation 0 means "ready": the first run publishes generation 1.
    worker.pointee.state.store(pinned ? 0 : ThreadPoolWorkerLine.pinFailed, ordering: .releasing)

    var finished = 0
    while true {
        let current = waitForJob(job, finished: finished, parking: worker.pointee.parking)
        if current == ThreadPoolJobLine.shutdown { return }
        do {  // scoped so this thread's reference to the task is gone before it reports
            let task = job.pointee.task!
            let taskCount = job.pointee.taskCount
            var i = threadIndex
            while i < taskCount {
                task.run(task: i)
                i += threadCount
            }
        }
        finished = current
        worker.pointee.state.store(finished, ordering: .releasing)
    }
}

/// Spins, then yields, then — after `ThreadPool.idleNanosecondsBeforePark` without work —
/// parks until the job's generation differs from `finished`; returns the new generation.
private func waitForJob(_ job: UnsafeMutablePointer<ThreadPoolJobLine>, finished: Int,
                        parking: ThreadPoolParking) -> Int {
    var spins = 0
    var idleSince: UInt64 = 0
    while true {
        let current = job.pointee.generation.load(ordering: .acquiring)
        if current != finished { return current }
        if spins < ThreadPool.spinsBeforeYield {
            spins += 1
            continue
        }
        let now = aglm_monotonic_ns()
        if idleSince == 0 {
            idleSince = now
        } else if now &- idleSince >= ThreadPool.idleNanosecondsBeforePark {
            return parking.park(job, finished: finished)
        }
        aglm_thread_yield()
    }
}
