import CAutoGLMKernels
import CAutoGLMSys

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
    /// The C kernels every call runs (scalar: none; always scalar for the reference backend).
    public let path: KernelPath
    public let pool: ThreadPool
    /// Times quantization and matmul separately when enabled (autoglm bench --profile).
    public let profile: OpProfile
    /// Reused for every call: handing the pool a closure would box it on the heap.
    private let task: MatmulTask

    /// The aarch64 int8 path the Q8_0/INT8 matmuls run on with the neon backend:
    /// "neon-i8mm" (SMMLA), "neon-dotprod" (SDOT) or "neon" (armv8.0); nil elsewhere.
    /// The same bits on every path.
    public var aarch64KernelPath: String? {
        switch task.aarch64Path {
        case AGLM_AARCH64_NEON_I8MM: return "neon-i8mm"
        case AGLM_AARCH64_NEON_DOTPROD: return "neon-dotprod"
        case AGLM_AARCH64_NEON: return "neon"
        default: return nil
        }
    }

    /// `path`: chosen once by the caller (KernelPath.configured()); the reference backend
    /// ignores it and runs the Swift ground truth.
    public init(backend: Backend, path: KernelPath, pool: ThreadPool, profile: OpProfile = OpProfile()) {
        self.backend = backend
        self.path = backend == .reference ? .scalar : path
        self.pool = pool
        self.profile = profile
        task = MatmulTask(backend: backend, path: self.path)
    }

    /// On the fastest path this CPU runs (KernelPath.detected; AUTOGLM_KERNELS is not read).
    public init(backend: Backend, pool: ThreadPool, profile: OpProfile = OpProfile()) {
        self.init(backend: backend, path: KernelPath.detected, pool: pool, profile: profile)
    }

    /// out[t·outStride + r] = Σ_c W[r, c] · x[t·xStride + c]   for t < tokens, r < W.rows.
    ///
    /// `second`, `third`: more matrices reading the same x (same cols), computed in the same
    /// pool run — one wake-up of the workers for Q, K and V instead of three.
    /// `inputQuantized`: x was already quantized into `scratch` (normQuantize), so only
    /// matrices taking quantized activations may be passed and x itself is not read.
    public func matmul(_ w: WeightMatrix, x: UnsafePointer<Float>, xStride: Int, tokens: Int,
                       out: UnsafeMutablePointer<Float>, outStride: Int, scratch: ActivationScratch,
                       second: MatmulOutput? = nil, third: MatmulOutput? = nil, inputQuantized: Bool = false) {
        let cols = w.cols
        precondition(second.map { $0.weights.cols == cols } ?? true && third.map { $0.weights.cols == cols } ?? true,
                     "matrices of one shared-input matmul must have the same width")
        if !inputQuantized && Self.activationFormatsDiffer(w, second?.weights, third?.weights) {
            // One scratch holds one quantization of x: K-quants (256) and 32-block types
            // sharing an input (a hand-mixed file) take turns.
            matmul(w, x: x, xStride: xStride, tokens: tokens, out: out, outStride: outStride, scratch: scratch)
            if let second {
                matmul(second.weights, x: x, xStride: xStride, tokens: tokens, out: second.out, outStride: second.outStride,
                       scratch: scratch)
            }
            if let third {
                matmul(third.weights, x: x, xStride: xStride, tokens: tokens, out: third.out, outStride: third.outStride,
                       scratch: scratch)
            }
            return
        }
        let needsQuantized = w.type.usesQuantizedActivations || second?.weights.type.usesQuantizedActivations == true
            || third?.weights.type.usesQuantizedActivations == true
        precondition(!inputQuantized || Self.takeQuantizedInput(w, second?.weights, third?.weights),
                     "a pre-quantized input feeds only matrices with quantized activations")
        if needsQuantized && !inputQuantized {
            precondition(tokens * cols <= scratch.capacity, "activation scratch smaller than the memory plan promised")
            let started = profile.begin()
            let superBlocks = w.type.isKQuant || second?.weights.type.isKQuant == true || third?.weights.type.isKQuant == true
            quantize(x, xStride: xStride, tokens: tokens, cols: cols, into: scratch, superBlocks: superBlocks)
            profile.end(.activationQuantization, since: started)
        }
        task.weights = w
        task.x = x
        task.xStride = xStride
        task.tokens = tokens
        task.out = out
        task.outStride = outStride
        task.scratch = scratch
        task.second = second
        task.third = third
        task.taskCount = min(pool.threadCount, max(w.rows, second?.weights.rows ?? 0, third?.weights.rows ?? 0))
        let started = profile.begin()
        pool.run(task.taskCount, task)
        profile.end(.matmul, since: started)
    }
}

extension LinearKernels {
    /// Whether RMSNorm can go straight into the quantized activations for these matrices:
    /// every one of them takes quantized activations (none needs the float row), and the
    /// backend is not the reference, which keeps the separate steps as the ground truth.
    public func canFuseNormIntoQuantization(_ w: WeightMatrix, _ second: WeightMatrix? = nil,
                                            _ third: WeightMatrix? = nil) -> Bool {
        backend != .reference && Self.takeQuantizedInput(w, second, third)
    }

    /// Whether every matrix takes activations in blocks of 32 (what normQuantize writes).
    static func takeQuantizedInput(_ w: WeightMatrix, _ second: WeightMatrix?, _ third: WeightMatrix?) -> Bool {
        let block = ActivationQuantization.blockSize
        return w.type.activationBlockSize == block && (second.map { $0.type.activationBlockSize == block } ?? true)
            && (third.map { $0.type.activationBlockSize == block } ?? true)
    }

    /// Whether two of the matrices want x quantized in different block sizes.
    static func activationFormatsDiffer(_ w: WeightMatrix, _ second: WeightMatrix?, _ third: WeightMatrix?) -> Bool {
        let a = w.type.activationBlockSize, b = second?.type.activationBlockSize ?? 0, c = third?.type.activationBlockSize ?? 0
        let differ = { (p: Int, q: Int) -> Bool in p != 0 && q != 0 && p != q }
        return differ(a, b) || differ(a, c) || differ(b, c)
    }

    /// RMSNorm of `tokens` rows of `cols` at x + t·xStride straight into token rows
    /// firstRow… of `scratch` (values, scales and the block sums): bit for bit
    /// Ops.rmsNorm then quantize, without the float rows. The C loop where the CPU has it.
    public func normQuantize(_ x: UnsafePointer<Float>, xStride: Int, weight: UnsafePointer<Float>, eps: Float,
                             tokens: Int, cols: Int, into scratch: ActivationScratch, firstRow: Int = 0) {
        precondition((firstRow + tokens) * cols <= scratch.capacity, "activation scratch smaller than the memory plan promised")
        let values = scratch.values + firstRow * cols
        let scales = scratch.scales + firstRow * (cols / ActivationQuantization.blockSize)
        let sums = scratch.sums.map { $0 + firstRow * (cols / ActivationQuantization.blockSize) }
        if aglm_rmsnorm_quantize_rows(path.rawValue, x, Int64(xStride), weight, eps, Int64(tokens), Int64(cols), values, scales,
                                      sums) != 0 {
            return
        }
        for t in 0..<tokens {
            ActivationQuantization.rmsNormQuantizeRow(x + t * xStride, weight: weight, count: cols, eps: eps,
                                                      values: values + t * cols,
                                                      scales: scales + t * (cols / ActivationQuantization.blockSize))
        }
        if let sums { ActivationQuantization.blockSums(values, count: tokens * cols, sums: sums) }
    }

    /// ActivationQuantization of every token row into `scratch`, with the block sums the
    /// repacked kernels need; the C loop (same bits) where the CPU has it. `superBlocks`:
    /// SuperBlockActivationQuantization for the K-quants instead (token t's scales still
    /// start at t · cols/32, so the kernels find them in the same place).
    private func quantize(_ x: UnsafePointer<Float>, xStride: Int, tokens: Int, cols: Int, into scratch: ActivationScratch,
                          superBlocks: Bool) {
        if superBlocks {
            for t in 0..<tokens {
                SuperBlockActivationQuantization.quantizeRow(x + t * xStride, count: cols, values: scratch.values + t * cols,
                                                             scales: scratch.scales + t * (cols / ActivationQuantization.blockSize))
            }
            return
        }
        let sums = backend == .reference ? nil : scratch.sums
        if backend != .reference
            && aglm_quantize_rows(path.rawValue, x, Int64(xStride), Int64(tokens), Int64(cols), scratch.values, scratch.scales,
                                  sums) != 0 {
            return
        }
        for t in 0..<tokens {
            ActivationQuantization.quantizeRow(x + t * xStride, count: cols, values: scratch.values + t * cols,
                                               scales: scratch.scales + t * (cols / 32))
        }
        if let sums { ActivationQuantization.blockSums(scratch.values, count: tokens * cols, sums: sums) }
    }
}

/// A further matrix of a shared-input matmul and where its output goes.
public struct MatmulOutput {
    public let weights: WeightMatrix
    public let out: UnsafeMutablePointer<Float>
    public let outStride: Int

    public init(_ weights: WeightMatrix, out: UnsafeMutablePointer<Float>, outStride: Int) {
        self.weights = weights
        self.out = out
        self.outStride = outStride
    }
}

/// One matmul's operands; task i computes rows [rows·i/n, rows·(i+1)/n) of each matrix.
final class MatmulTask: ThreadPoolTask {
    let backend: Backend
    let path: KernelPath
    var weights = WeightMatrix(name: "", type: .f32, rows: 0, cols: 0, data: UnsafeRawPointer(bitPattern: 64)!)
    var x = UnsafePointer<Float>(bitPattern: 64)!
    var xStride = 0
    var tokens = 0
    var out = UnsafeMutablePointer<Float>(bitPattern: 64)!
    var outStride = 0
    var scratch = ActivationScratch(values: UnsafeMutablePointer(bitPattern: 64)!, scales: UnsafeMutablePointer(bitPattern: 64)!, capacity: 0)
    var taskCount = 1
    /// More matrices over the same input in the same run (K and V after Q, up after gate).
    var second: MatmulOutput?
    var third: MatmulOutput?

    /// neon: Q8_0, Q4_0 and INT8 rows go to the C kernel of the best int8 path the CPU has
    /// (SMMLA, SDOT or armv8.0 NEON; the same bits as VectorDot). Decided once, here, from
    /// the CPU's feature bits: AGLM_AARCH64_NONE on other backends and architectures.
    let aarch64Path: Int32

    init(backend: Backend, path: KernelPath) {
        self.backend = backend
        self.path = path
        aarch64Path = backend == .neon ? Self.aarch64Path(for: path) : AGLM_AARCH64_NONE
    }

    /// The C kernels' id of an aarch64 path; AGLM_AARCH64_NONE for the others (scalar runs the
    /// Swift kernels).
    private static func aarch64Path(for path: KernelPath) -> Int32 {
        switch path {
        case .neonI8mm: return AGLM_AARCH64_NEON_I8MM
        case .neonDotprod: return AGLM_AARCH64_NEON_DOTPROD
        case .neon: return AGLM_AARCH64_NEON
        case .scalar, .avx2, .avx512vnni: return AGLM_AARCH64_NONE
        }
    }

    func run(task: Int) {
        runPart(weights, out: out, outStride: outStride, task: task)
        if let second { runPart(second.weights, out: second.out, outStride: second.outStride, task: task) }
        if let third { runPart(third.weights, out: third.out, outStride: third.outStride, task: task) }
    }

    /// Task `task`'s share of one matrix: its rows (or 16-row groups) slice.
    private func runPart(_ w: WeightMatrix, out: UnsafeMutablePointer<Float>, outStride: Int, task: Int) {
        if let packed = w.packed, path.usesRepackedWeights, let sums = scratch.sums {
            // Whole 16-row groups in the path's kernel, the rows % 16 tail rows in Swift.
            let groups = w.rows / InterleavedWeights.groupRows
            let g0 = Int64(groups * task / taskCount), g1 = Int64(groups * (task + 1) / taskCount)
            if w.type == .int8 {
                aglm_i8_packed_matmul(path.rawValue, packed, Int64(w.cols), g0, g1, w.rowScales!, w.zeroPoints,
                                      scratch.values, scratch.scales, sums, Int64(tokens), out, Int64(outStride))
            } else {
                aglm_q8_packed_matmul(path.rawValue, packed, Int64(w.cols), g0, g1, scratch.values, scratch.scales, sums,
                                      Int64(tokens), out, Int64(outStride))
            }
            if task == taskCount - 1 { rowsFromFileLayout(w, groups * InterleavedWeights.groupRows, w.rows, out: out, outStride: outStride) }
            return
        }
        let r0 = w.rows * task / taskCount, r1 = w.rows * (task + 1) / taskCount
        if let floatType = Self.floatKernelType(w.type),
           aglm_float_matmul(path.rawValue, floatType, w.data, Int64(w.rowBytes), Int64(w.cols), Int64(r0), Int64(r1), x, Int64(xStride),
                             Int64(tokens), out, Int64(outStride)) != 0 {
            return
        }
        if aarch64Path != AGLM_AARCH64_NONE && aarch64Rows(w, r0, r1, out: out, outStride: outStride) { return }
        rowsFromFileLayout(w, r0, r1, out: out, outStride: outStride)
    }

    /// Rows r0..<r1 of a Q8_0, Q4_0 or INT8 matrix on the aarch64 C kernel; false for other types.
    private func aarch64Rows(_ w: WeightMatrix, _ r0: Int, _ r1: Int, out: UnsafeMutablePointer<Float>, outStride: Int) -> Bool {
        switch w.type {
        case .q8_0:
            return aglm_aarch64_q8_0_rows(aarch64Path, w.data, Int64(w.rowBytes), Int64(w.cols), Int64(r0), Int64(r1),
                                          scratch.values, scratch.scales, Int64(tokens), out, Int64(outStride)) != 0
        case .q4_0:
            return aglm_aarch64_q4_0_rows(aarch64Path, w.data, Int64(w.rowBytes), Int64(w.cols), Int64(r0), Int64(r1),
                                          scratch.values, scratch.scales, Int64(tokens), out, Int64(outStride)) != 0
        case .int8:
            return aglm_aarch64_int8_rows(aarch64Path, w.data.assumingMemoryBound(to: Int8.self), Int64(w.cols), Int64(r0),
                                          Int64(r1), w.rowScales!, w.zeroPoints, scratch.values, scratch.scales,
                                          Int64(tokens), out, Int64(outStride)) != 0
        default:
            return false
        }
    }

    /// The C float kernel's name for `type`, or nil for the integer types.
    private static func floatKernelType(_ type: TensorType) -> Int32? {
        switch type {
        case .f32: return AGLM_FLOAT_F32
        case .f16: return AGLM_FLOAT_F16
        case .bf16: return AGLM_FLOAT_BF16
        default: return nil
        }
    }

    /// Rows r0..<r1 for every token, from the matrix as the file stores it.
    private func rowsFromFileLayout(_ w: WeightMatrix, _ r0: Int, _ r1: Int, out: UnsafeMutablePointer<Float>, outStride: Int) {
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
                case (_, .q4_1), (_, .q5_0), (_, .q5_1), (_, .q2_k), (_, .q3_k), (_, .q4_k), (_, .q5_k), (_, .q6_k):
                    value = ReferenceDot.blockQuant(w.type, row, xq, xd, count: cols)  // no vector form yet
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
