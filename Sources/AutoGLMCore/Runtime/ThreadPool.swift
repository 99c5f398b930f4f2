/// Placeholder with the agreed interface; the persistent pthread pool replaces it.
public final class ThreadPool {
    public let threadCount: Int

    public init(threads: Int, pinToCores: Bool = false) throws(CoreError) {
        guard threads >= 1 else {
            throw .invalidArgument(name: "threads", value: "\(threads)", reason: "must be at least 1")
        }
        threadCount = threads
    }

    /// Runs body(0..<taskCount) and returns when all have finished.
    public func run(_ taskCount: Int, _ body: (Int) -> Void) {
        for i in 0..<taskCount { body(i) }
    }
}
