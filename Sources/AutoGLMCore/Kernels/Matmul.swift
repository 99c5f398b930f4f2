import CAutoGLMKernels

/// Scratch for activations quantized on the fly: int8 values and one scale per 32.
/// Carved from the arena by the memory plan; never allocated per call.
public struct ActivationScratch {
    public let values: UnsafeMutablePointer<Int8>
    public let scales: UnsafeMutablePointer<Float>
    /// Per-block sums of `values` for the repacked kernels (one Int32 per scale); without
    /// them repacked matrices are computed by the Swift kernels from the file layout.
    public let sums: UnsafeMutablePointer<Int32>?
    public let capacity: Int  // elements (tokens × columns)

    public init(values: UnsafeMutablePointer<Int8>, scales: UnsafeMutablePointer<Float>,
                sums: UnsafeMutablePointer<Int32>? = nil, capacity: Int) {
        self.values = values
        self.scales = scales
        self.sums = sums
        self.capacity = capacity
    }
}

/// The linear-layer kernels of one backend, with the thread pool that runs them.
/// Each output row is computed by exactly one task, in a fixed order, so results do not
/// depend on the thread count.
public struct LinearKernels {
    public let backend: Backend
    public let pool: ThreadPool
    /// Times quantization and matmul separately when enabled (autoglm bench --profile).
    public let profile: OpProfile
    /// Reused for every call: handing the pool a closure would box it on the heap.
    private let task: MatmulTask

    public init(backend: Backend, pool: ThreadPool, profile: OpProfile = OpProfile()) {
        self.backend = backend
        self.pool = pool
        self.profile = profile
        task = MatmulTask(backend: backend)
    }

    /// out[t·outStride + r] = Σ_c W[r, c] · x[t·xStride + c]   for t < tokens, r < W.rows.
    ///
    /// `inputUnchanged`: the caller promises x holds the same values as in the previous
    /// call (Q, K and V, or gate and up, read one normed input), so when that call left x
    /// quantized in `scratch` — same pointer, stride, tokens and width — it is not redone.
    public func matmul(_ w: WeightMatrix, x: UnsafePointer<Float>, xStride: Int, tokens: Int,
                       out: UnsafeMutablePointer<Float>, outStride: Int, scratch: ActivationScratch,
                       inputUnchanged: Bool = false) {
        let cols = w.cols
        let quantized = QuantizedInput(x: x, xStride: xStride, tokens: tokens, cols: cols, scratch: scratch.values)
        if w.type.usesQuantizedActivations && !(inputUnchanged && task.lastQuantized == quantized) {
            let started = profile.begin()
            defer { profile.end(.activationQuantization, since: started) }
            precondition(tokens * cols <= scratch.capacity, "activation scratch smaller than the memory plan promised")
            for t in 0..<tokens {
                ActivationQuantization.quantizeRow(x + t * xStride, count: cols,
                                                   values: scratch.values + t * cols,
                                                   scales: scratch.scales + t * (cols / 32))
            }
            if backend != .reference, let sums = scratch.sums {
                ActivationQuantization.blockSums(scratch.values, count: tokens * cols, sums: sums)
            }
            task.lastQuantized = quantized
        }
        task.weights = w
        task.x = x
        task.xStride = xStride
        task.tokens = tokens
        task.out = out
        task.outStride = outStride
        task.scratch = scratch
        task.taskCount = min(pool.threadCount, w.rows)
        let started = profile.begin()
        pool.run(task.taskCount, task)
        profile.end(.matmul, since: started)
    }
}

/// Which input the activation scratch holds quantized.
struct QuantizedInput: Equatable {
    var x: UnsafePointer<Float>?
    var xStride = 0
    var tokens = 0
    var cols = 0
    var scratch: UnsafeMutablePointer<Int8>?
}

/// One matmul's operands; task i computes rows [rows·i/n, rows·(i+1)/n).
final class MatmulTask: ThreadPoolTask {
    let backend: Backend
    var lastQuantized = QuantizedInput()
    var weights = WeightMatrix(name: "", type: .f32, rows: 0, cols: 0, data: UnsafeRawPointer(bitPattern: 64)!)
    var x = UnsafePointer<Float>(bitPattern: 64)!
    var xStride = 0
    var tokens = 0
    var out = UnsafeMutablePointer<Float>(bitPattern: 64)!
    var outStride = 0
    var scratch = ActivationScratch(values: UnsafeMutablePointer(bitPattern: 64)!, scales: UnsafeMutablePointer(bitPattern: 64)!, capacity: 0)
    var taskCount = 1

    init(backend: Backend) { self.backend = backend }

    func run(task: Int) {
        let w = weights
        if let packed = w.packed, backend != .reference, let sums = scratch.sums {
            // Whole 16-row groups in the VNNI kernel, the rows % 16 tail rows in Swift.
            let groups = w.rows / Q8Repacking.groupRows
            aglm_q8_packed_matmul(packed, Int64(w.cols), Int64(groups * task / taskCount), Int64(groups * (task + 1) / taskCount),
                                  scratch.values, scratch.scales, sums, Int64(tokens), out, Int64(outStride))
            if task == taskCount - 1 { rowsFromFileLayout(groups * Q8Repacking.groupRows, w.rows) }
            return
        }
        rowsFromFileLayout(w.rows * task / taskCount, w.rows * (task + 1) / taskCount)
    }

    /// Rows r0..<r1 for every token, from the matrix as the file stores it.
    private func rowsFromFileLayout(_ r0: Int, _ r1: Int) {
        let w = weights
        let cols = w.cols
        for r in r0..<r1 {
            let row = w.row(r)
            for t in 0..<tokens {
                let xq = scratch.values + t * cols
                let xd = scratch.scales + t * (cols / 32)
                let value: Float
                switch (backend, w.type) {
                case (.reference, .int8):
                    value = ReferenceDot.int8(row.assumingMemoryBound(to: Int8.self), xq, xd, count: cols,
                                              scale: w.rowScales![r], zeroPoint: w.zeroPoint(r))
                case (_, .int8):
                    value = VectorDot.int8(row.assumingMemoryBound(to: Int8.self), xq, xd, count: cols,
                                           scale: w.rowScales![r], zeroPoint: w.zeroPoint(r))
                case (.reference, .q8_0): value = ReferenceDot.q8_0(row, xq, xd, count: cols)
                case (.reference, .q4_0): value = ReferenceDot.q4_0(row, xq, xd, count: cols)
                case (.reference, _): value = ReferenceDot.floatWeights(w.type, row, x + t * xStride, count: cols)
                case (_, .q8_0): value = VectorDot.q8_0(row, xq, xd, count: cols)
                case (_, .q4_0): value = VectorDot.q4_0(row, xq, xd, count: cols)
                case (_, _): value = VectorDot.floatWeights(w.type, row, x + t * xStride, count: cols)
                }
                out[t * outStride + r] = value
            }
        }
    }
}
