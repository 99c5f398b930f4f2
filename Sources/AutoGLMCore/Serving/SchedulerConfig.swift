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
///
/// A decode step costs one pass over the weights plus a little per row (attention over
/// each row's context, its activations): `decodeStepNanoseconds + rows ×
/// decodeRowNanoseconds`. Both are fitted by recency-weighted least squares over the
/// decode steps seen, so a request admitted while the batch is filling up is judged at
/// the batch size it will decode in, not at the smaller one measured so far. Until steps
/// of two different sizes have been seen the per-row cost stays 0 (the old, flat model).
public struct StepCostModel: Equatable {
    /// The fixed part of a decode step (the weights pass), ns.
    public var decodeStepNanoseconds: Double
    /// What each decode row adds to a step, ns.
    public var decodeRowNanoseconds: Double
    /// A step with prompt rows, per row, ns.
    public var prefillTokenNanoseconds: Double
    /// Weight of the newest measurement.
    public static let smoothing = 0.2

    /// Recency-weighted sums over decode steps of (1, rows, ns, rows², rows × ns).
    private var weight = 0.0, sumRows = 0.0, sumTime = 0.0, sumRowsSquared = 0.0, sumRowsTime = 0.0

    public init(decodeStepNanoseconds: Double = 0, prefillTokenNanoseconds: Double = 0, decodeRowNanoseconds: Double = 0) {
        self.decodeStepNanoseconds = decodeStepNanoseconds
        self.prefillTokenNanoseconds = prefillTokenNanoseconds
        self.decodeRowNanoseconds = decodeRowNanoseconds
    }

    mutating func record(stepNanoseconds: UInt64, rows: Int, promptRows: Int) {
        guard stepNanoseconds > 0, rows > 0 else { return }
        let t = Double(stepNanoseconds)
        if promptRows == 0 {
            recordDecode(rows: Double(rows), nanoseconds: t)
        } else {
            let perRow = t / Double(rows)
            prefillTokenNanoseconds = prefillTokenNanoseconds == 0 ? perRow
                : prefillTokenNanoseconds + Self.smoothing * (perRow - prefillTokenNanoseconds)
        }
    }

    private mutating func recordDecode(rows x: Double, nanoseconds y: Double) {
        let keep = 1 - Self.smoothing
        weight = weight * keep + 1
        sumRows = sumRows * keep + x
        sumTime = sumTime * keep + y
        sumRowsSquared = sumRowsSquared * keep + x * x
        sumRowsTime = sumRowsTime * keep + x * y
        let spread = weight * sumRowsSquared - sumRows * sumRows
        // Relative threshold: rounding leaves a tiny positive spread when every step had
        // the same size.
        var slope = spread > 1e-9 * weight * sumRowsSquared ? (weight * sumRowsTime - sumRows * sumTime) / spread : 0
        slope = max(slope, 0)  // noise must not make bigger batches look cheaper
        let meanRows = sumRows / weight, meanTime = sumTime / weight
        decodeRowNanoseconds = slope
        decodeStepNanoseconds = max(meanTime - slope * meanRows, 0)
        if decodeStepNanoseconds == 0 && slope > 0 {
            // A fit through the origin or below: keep the line's value at the mean size.
            decodeRowNanoseconds = meanTime / meanRows
        }
    }

    /// One decode step with `rows` rows, ns.
    public func decodeStep(rows: Int) -> Double {
        decodeStepNanoseconds + Double(max(rows, 1)) * decodeRowNanoseconds
    }

    /// Time to run `promptTokens` of prefill and `newTokens` decode steps in a batch of
    /// `batchRows` rows, ns.
    public func estimate(promptTokens: Int, newTokens: Int, batchRows: Int = 1) -> Double {
        Double(promptTokens) * prefillTokenNanoseconds + Double(max(newTokens - 1, 0)) * decodeStep(rows: batchRows)
    }
}
