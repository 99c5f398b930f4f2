/// How the scheduler batches. Every field is a limit or a policy knob with a unit.
public struct SchedulerConfig {
    /// Sequences in one step (≤ the memory plan's batch).
    public var maxRunning: Int
    /// Rows (prompt tokens + decode tokens) per forward pass (≤ the plan's rows).
    public var stepTokenBudget: Int
    /// Prompt tokens of one request per pass: long prompts are chunked so the decodes of
    /// others keep flowing between chunks. Small chunks also bound how long a critical
    /// arrival waits for the pass in flight.
    public var prefillChunk: Int
    /// Prompt tokens of a critical request per pass; 0: the whole step budget.
    public var criticalPrefillChunk: Int
    /// While a critical request prefills, lower classes sit out: its prompt runs as fast as
    /// it would alone (their decodes lose one or a few steps).
    public var criticalPrefillIsExclusive: Bool
    /// Requests held at once (running, paused, waiting).
    public var maxRequests: Int
    /// Upper bound of the adaptive batching window (the seeds' 10–50 ms).
    public var maxBatchingWindowNanoseconds: UInt64
    /// Running sequences / maxRunning at or above which the window opens.
    public var highLoadFraction: Double
    /// Tokens that end a turn (the tokenizer's end-of-generation set).
    public var endOfGenerationTokens: [Int32]

    public init(maxRunning: Int, stepTokenBudget: Int, prefillChunk: Int, criticalPrefillChunk: Int = 0,
                criticalPrefillIsExclusive: Bool = true, maxRequests: Int = 64,
                maxBatchingWindowNanoseconds: UInt64 = 20_000_000, highLoadFraction: Double = 0.5,
                endOfGenerationTokens: [Int32] = []) {
        self.maxRunning = maxRunning
        self.stepTokenBudget = stepTokenBudget
        self.prefillChunk = prefillChunk
        self.criticalPrefillChunk = criticalPrefillChunk
        self.criticalPrefillIsExclusive = criticalPrefillIsExclusive
        self.maxRequests = maxRequests
        self.maxBatchingWindowNanoseconds = maxBatchingWindowNanoseconds
        self.highLoadFraction = highLoadFraction
        self.endOfGenerationTokens = endOfGenerationTokens
    }

    public static let maxWindowNanoseconds: UInt64 = 50_000_000
}

/// The engine's own measured costs, for deadline admission: exponentially smoothed over
/// the steps it ran. Zero until measured (then nothing is refused on cost grounds).
public struct StepCostModel: Equatable {
    /// A step of decode rows only (one pass over the weights), ns.
    public var decodeStepNanoseconds: Double
    /// A step with prompt rows, per row, ns.
    public var prefillTokenNanoseconds: Double
    /// Weight of the newest measurement.
    public static let smoothing = 0.2

    public init(decodeStepNanoseconds: Double = 0, prefillTokenNanoseconds: Double = 0) {
        self.decodeStepNanoseconds = decodeStepNanoseconds
        self.prefillTokenNanoseconds = prefillTokenNanoseconds
    }

    mutating func record(stepNanoseconds: UInt64, rows: Int, promptRows: Int) {
        guard stepNanoseconds > 0, rows > 0 else { return }
        let t = Double(stepNanoseconds)
        if promptRows == 0 {
            decodeStepNanoseconds = decodeStepNanoseconds == 0 ? t : decodeStepNanoseconds + Self.smoothing * (t - decodeStepNanoseconds)
        } else {
            let perRow = t / Double(rows)
            prefillTokenNanoseconds = prefillTokenNanoseconds == 0 ? perRow
                : prefillTokenNanoseconds + Self.smoothing * (perRow - prefillTokenNanoseconds)
        }
    }

    /// Time to run `promptTokens` of prefill and `newTokens` decode steps, ns.
    public func estimate(promptTokens: Int, newTokens: Int) -> Double {
        Double(promptTokens) * prefillTokenNanoseconds + Double(max(newTokens - 1, 0)) * decodeStepNanoseconds
    }
}
