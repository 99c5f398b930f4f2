// Cross-check driver: compiled in ONE module together with every file of
// Sources/AutoGLMCore, once as Embedded Swift for aarch64 (run under qemu-aarch64) and
// once as normal Swift for the host. Toolchains/aarch64-cross-check.sh runs both on the
// same GGUF files and diffs stdout line by line, so everything printed to stdout must be
// a deterministic function of the file: no paths that differ, no timings, no backend
// names (those go to stderr).
//
// Embedded Swift has no CommandLine and cannot print floats, hence the C-style entry
// point below and hex bit patterns for every floating-point value.
//
// Because this file shares a module with Core, its helpers live inside
// `CrossCheckDriver` so they can never clash with Core's internal top-level names.

import CAutoGLMSys

@_cdecl("main")
func crossCheckEntry(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Int32 {
    var args: [String] = []
    for i in 0..<Int(argc) {
        if let a = argv[i] { args.append(String(cString: a)) }
    }
    return CrossCheckDriver.run(args)
}

enum CrossCheckDriver {
    static let usage = "usage: crosscheck <model.gguf> [--backend reference|neon|emulation] [--cost PROMPT GENERATED] [--golden PROMPT COUNT]"
    /// Bumped whenever the output format changes, so stale binaries are noticed.
    static let formatVersion = 7

    static func run(_ args: [String]) -> Int32 {
        var path: String? = nil
        var backend = "reference"
        var cost: (prompt: Int, generated: Int)? = nil
        var golden: (prompt: String, count: Int)? = nil
        var i = 1
        while i < args.count {
            let a = args[i]
            if a == "--backend" {
                guard i + 1 < args.count else { printError(usage); return 2 }
                backend = args[i + 1]
                i += 2
                continue
            }
            if a == "--cost" {
                guard i + 2 < args.count, let p = Int(args[i + 1]), let g = Int(args[i + 2]), p > 0, g >= 0 else {
                    printError(usage); return 2
                }
                cost = (p, g)
                i += 3
                continue
            }
            if a == "--golden" {
                guard i + 2 < args.count, let n = Int(args[i + 2]), n > 0 else { printError(usage); return 2 }
                golden = (args[i + 1], n)
                i += 3
                continue
            }
            if a == "-h" || a == "--help" { printError(usage); return 0 }
            guard path == nil, !a.hasPrefix("-") else { printError("unexpected argument '\(a)'\n" + usage); return 2 }
            path = a
            i += 1
        }
        guard let path else { printError(usage); return 2 }
        printError("crosscheck: backend \(backend)")
        if let cost { return runForCost(path: path, backend: backend, prompt: cost.prompt, generated: cost.generated) }
        if let golden { return runGolden(path: path, backend: backend, prompt: golden.prompt, count: golden.count) }

        print("crosscheck format \(formatVersion)")
        printMathSweep()
        printInt8KernelSweep(backend: backend)
        printMatmulSweep(backend: backend)
        printExtremeMatmuls(backend: backend)
        let fileStatus = printModelFile(path: path)
        if fileStatus != 0 { return fileStatus }
        printTokenization(path: path)
        printGeneration(path: path, backend: backend)
        print("end")
        return 0
    }

    // MARK: - a signed bundle's canary (docs/bundles.md)

    /// The greedy tokens of `prompt` as `GoldenTokens` computes them for a bundle (BOS as
    /// the model defaults, stop at end of generation): the script compares them with the
    /// tokens `autoglm bundle create` recorded on x86.
    static func runGolden(path: String, backend: String, prompt: String, count: Int) -> Int32 {
        do {
            let model = try Model(path: path)
            let tokenizer = try Tokenizer(gguf: model.gguf)
            let ids = tokenizer.encode(prompt, addBos: tokenizer.addBosDefault)
            let context = ids.count + count + 1
            let state = try InferenceState(model: model, limits: RuntimeLimits(maxContext: context, prefillChunk: min(64, context), threads: 2),
                                           backend: try Backend(name: backend))
            let result = try Generator(state: state, sampling: SamplerConfig())
                .generate(prompt: ids, maxNewTokens: count, isEndOfGeneration: { tokenizer.isEndOfGeneration($0) })
            var line = "golden"
            for t in result.tokens { line += " \(t)" }
            print(line)
            return 0
        } catch {
            print("golden error: " + error.message)
            return 1
        }
    }

    // MARK: - instruction-cost runs (tools/arm_cost.py)

    /// Only the model's work, for counting instructions under qemu: one prefill of `prompt`
    /// tokens in a single chunk, then `generated` single-token forward passes feeding fixed
    /// ids (no sampling), on one thread. arm_cost.py subtracts runs with different counts, so
    /// loading and set-up cancel. Prints the last logit's bits so the work cannot be skipped.
    static func runForCost(path: String, backend: String, prompt: Int, generated: Int) -> Int32 {
        do {
            let model = try Model(path: path)
            let chosen = try Backend(name: backend)
            let state = try InferenceState(model: model,
                                           limits: RuntimeLimits(maxContext: prompt + generated + 1, prefillChunk: prompt, threads: 1),
                                           backend: chosen)
            printError("crosscheck: kernels " + (state.kernels.aarch64KernelPath ?? "none"))
            let vocab = model.config.vocabularySize
            let ids = (0..<prompt).map { Int32((($0 * 37) + 11) % vocab) }
            ids.withUnsafeBufferPointer { state.prefill(tokens: $0, startPosition: 0) }
            var next = Int32(prompt % vocab)
            for step in 0..<generated {
                withUnsafePointer(to: &next) { state.forward(tokens: UnsafeBufferPointer(start: $0, count: 1), startPosition: prompt + step) }
                next = Int32((Int(next) * 7 + 3) % vocab)
            }
            print("cost prompt \(prompt) generated \(generated) logit0 0x" + hex(UInt64(state.logits[0].bitPattern), width: 8))
            return 0
        } catch {
            printError("cost run error: " + error.message)
            return 1
        }
    }

    // MARK: - generation (filled in by the model runtime)

    /// GENERATION CROSS-CHECK — to be filled in once Core exposes a generation API.
    /// Intended content: load the model from `path` with `backend`, run a fixed prompt
    /// with greedy sampling for a fixed number of tokens, and print one line per step
    /// with the token id and an FNV-1a-64 hash of the logits' bit patterns (plus a few
    /// logits in hex), so any numeric divergence between aarch64/NEON and x86/emulation
    /// shows up as the first differing line. Print nothing backend-specific to stdout.
    /// English, Chinese, emoji with a ZWJ sequence, code, digits and whitespace runs: the
    /// pre-tokenizer's Unicode tables and the BPE merges all get exercised.
    static let tokenizerProbeText = "The car ahead brakes suddenly! 前方车辆急刹车，怎么办？ 🚗💨 👩‍👩‍👧\n\tif (x == 3.14) { return 12345; }\n\n   I'll, don't 'RE"

    /// The tokenizer's ids and round trip for a fixed mixed text.
    static func printTokenization(path: String) {
        do {
            let file = try GGUFFile(path: path)
            guard file.metadata["tokenizer.ggml.tokens"] != nil else { return }
            let tokenizer = try Tokenizer(gguf: file)
            let ids = tokenizer.encode(tokenizerProbeText)
            var line = "tokenize \(ids.count) ids:"
            for id in ids { line += " \(id)" }
            print(line)
            print("detokenize round trip " + (tokenizer.decode(ids) == tokenizerProbeText ? "exact" : "differs"))
        } catch {
            print("tokenizer error: " + error.message)
        }
    }

    static let promptLength = 9
    static let generatedTokens = 24

    /// Prompt ids that exist in any vocabulary of the fixtures' size: a fixed stride walk.
    static func promptIds(vocabularySize: Int) -> [Int32] {
        (0..<promptLength).map { Int32((($0 * 37) + 11) % vocabularySize) }
    }

    /// Greedy generation with a small prefill chunk (so chunked prefill is exercised too),
    /// printing each step's token and a hash of every logit's bits.
    static func printGeneration(path: String, backend: String) {
        do {
            let model = try Model(path: path)
            let chosen = try Backend(name: backend)
            let state = try InferenceState(model: model,
                                           limits: RuntimeLimits(maxContext: 64, prefillChunk: 4, threads: 2),
                                           backend: chosen)
            let vocab = model.config.vocabularySize
            let prompt = promptIds(vocabularySize: vocab)
            prompt.withUnsafeBufferPointer { state.prefill(tokens: $0, startPosition: 0) }
            var position = prompt.count
            for step in 0..<generatedTokens {
                var hash = FNV1a64()
                var best = 0
                for i in 0..<vocab {
                    let value = state.logits[i]
                    hash.add(UInt64(value.bitPattern))
                    if value > state.logits[best] { best = i }
                }
                print("step \(step) token \(best) logits fnv1a64 " + hex(hash.value, width: 16)
                      + " logit0 0x" + hex(UInt64(state.logits[0].bitPattern), width: 8))
                var next = Int32(best)
                withUnsafePointer(to: &next) { state.forward(tokens: UnsafeBufferPointer(start: $0, count: 1), startPosition: position) }
                position += 1
            }
            try printCheckpointRoundTrip(state: state, prompt: prompt)
        } catch {
            print("generation error: " + error.message)
        }
    }

    /// A seeded generation checkpointed half way (CRC32C sections, KV pages) and resumed in
    /// a fresh state: the file's bytes and the resumed tokens must match across machines.
    static func printCheckpointRoundTrip(state: InferenceState, prompt: [Int32]) throws(CoreError) {
        let sampling = SamplerConfig(temperature: 0.8, topK: 20, seed: 7)
        let tokens = 12
        let whole = try ResumableGeneration(state: state, sequence: 0, prompt: prompt, sampling: sampling, maxNewTokens: tokens)
        while whole.next() != nil {}
        let uninterrupted = Array(whole.generated)
        let g = try ResumableGeneration(state: state, sequence: 0, prompt: prompt, sampling: sampling, maxNewTokens: tokens)
        while g.generatedCount < tokens / 2, g.next() != nil {}
        // Backend recorded as reference on both machines, so the bytes can be compared.
        let identity = CheckpointIdentity(pool: state.kvPool, tokenizerHash: 1, backend: .reference,
                                          vocabularySize: state.config.vocabularySize)
        let c = g.checkpoint(sessionKey: "crosscheck", saveCounter: 1, savedAt: 0, priority: 0)
        let (head, pages) = try g.encode(c, identity: identity)
        let file = head + pages
        print("checkpoint bytes \(file.count) crc32c " + hex(UInt64(CRC32C.checksum(file)), width: 8))
        let source = ByteArrayCheckpointSource(file)
        let decoded = try CheckpointDecoder.decode(source, expecting: identity)
        let resumed = try ResumableGeneration(state: state, sequence: 0, restoring: decoded,
                                              pages: try CheckpointDecoder.readPages(decoded, from: source))
        while resumed.next() != nil {}
        var line = "checkpoint resumed tokens"
        for t in resumed.generated { line += " \(t)" }
        print(line + (Array(resumed.generated) == uninterrupted ? " (= uninterrupted)" : " (DIFFER from uninterrupted)"))
    }

    // MARK: - GGUF structure and raw tensor bytes

    static func printModelFile(path: String) -> Int32 {
        let file: GGUFFile
        do {
            file = try GGUFFile(path: path)
        } catch {
            // Both builds must reject a bad file the same way, so the error is output too.
            print("gguf error: " + error.message)
            return 1
        }
        print("gguf version \(file.version) alignment \(file.alignment) data_offset \(file.dataOffset) metadata \(file.metadataKeys.count) tensors \(file.tensors.count) file_bytes \(file.file.count)")
        for key in file.metadataKeys {
            guard let value = file.metadata[key] else { continue }
            print("meta " + key + " " + describe(value))
        }
        var all = FNV1a64()
        for t in file.tensors {
            var h = FNV1a64()
            h.add(file.data(for: t), count: t.byteCount)
            all.add(h.value)
            var shape = ""
            for (k, d) in t.shape.enumerated() { shape += (k == 0 ? "" : ",") + "\(d)" }
            print("tensor " + t.name + " " + t.type.name + " [" + shape + "] offset \(t.offset) bytes \(t.byteCount) fnv1a64 " + hex(h.value, width: 16))
        }
        print("tensors_all fnv1a64 " + hex(all.value, width: 16))
        return 0
    }

    /// A canonical one-line rendering of a metadata value: integers in decimal, floats as
    /// bit patterns, strings and arrays as length plus hash (vocabularies are huge).
    static func describe(_ value: GGUFValue) -> String {
        switch value {
        case .int(let v): return "int \(v)"
        case .uint64(let v): return "u64 \(v)"
        case .float(let v): return "float 0x" + hex(v.bitPattern, width: 16)
        case .bool(let b): return b ? "bool true" : "bool false"
        case .string(let s):
            var h = FNV1a64()
            h.add(s)
            return "str len \(s.utf8.count) fnv1a64 " + hex(h.value, width: 16)
        case .array(let t, let values):
            var h = FNV1a64()
            hashValue(value, into: &h)
            return "array type \(t.rawValue) count \(values.count) fnv1a64 " + hex(h.value, width: 16)
        }
    }

    static func hashValue(_ value: GGUFValue, into h: inout FNV1a64) {
        switch value {
        case .int(let v): h.add(UInt8(1)); h.add(UInt64(bitPattern: v))
        case .uint64(let v): h.add(UInt8(2)); h.add(v)
        case .float(let v): h.add(UInt8(3)); h.add(v.bitPattern)
        case .bool(let b): h.add(UInt8(4)); h.add(UInt8(b ? 1 : 0))
        case .string(let s): h.add(UInt8(5)); h.add(UInt64(s.utf8.count)); h.add(s)
        case .array(let t, let values):
            h.add(UInt8(6)); h.add(UInt64(t.rawValue)); h.add(UInt64(values.count))
            for v in values { hashValue(v, into: &h) }
        }
    }

    // MARK: - INT8 kernels over fixed pseudo-random rows

    /// Per-output-channel INT8 dot products (symmetric and asymmetric) on fixed
    /// pseudo-random rows of several lengths, through the backend under test: the
    /// aarch64 NEON build must print the same bits as the x86 emulation build.
    static func printInt8KernelSweep(backend: String) {
        guard let chosen = try? Backend(name: backend) else { print("int8 sweep: unknown backend"); return }
        var state: UInt64 = 0x0123_4567_89AB_CDEF
        func next() -> UInt64 {
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            return state
        }
        for cols in [32, 96, 256, 704, 2048] {
            var weights = [Int8](repeating: 0, count: cols)
            var activations = [Float](repeating: 0, count: cols)
            var values = [Int8](repeating: 0, count: cols)
            var scales = [Float](repeating: 0, count: cols / 32)
            var h = FNV1a64()
            for row in 0..<16 {
                for i in 0..<cols {
                    weights[i] = Int8(truncatingIfNeeded: next())
                    activations[i] = Float(Int32(truncatingIfNeeded: next() >> 40) - (1 << 23)) / Float(1 << 21)
                }
                let zero = row % 2 == 0 ? Int32(0) : Int32(Int8(truncatingIfNeeded: next()))
                let scale = Float(row + 1) / 4096
                ActivationQuantization.quantizeRow(activations, count: cols, values: &values, scales: &scales)
                let value: Float = chosen == .reference
                    ? ReferenceDot.int8(weights, values, scales, count: cols, scale: scale, zeroPoint: zero)
                    : VectorDot.int8(weights, values, scales, count: cols, scale: scale, zeroPoint: zero)
                h.add(UInt64(value.bitPattern))
            }
            print("int8 dot cols \(cols) rows 16 fnv1a64 " + hex(h.value, width: 16))
        }
    }

    // MARK: - integer matmuls through LinearKernels

    /// Q8_0, Q4_0 and INT8 (symmetric, asymmetric) matrices with an odd row count against 1, 2
    /// and 5 tokens, through LinearKernels on 2 threads: on aarch64 this is the SMMLA path
    /// when the CPU has i8mm (qemu -cpu max), SDOT with dotprod (cortex-a76) and armv8.0
    /// NEON otherwise (cortex-a72), on x86 the emulation backend; all must print the same
    /// bits. Odd rows and tokens exercise the tiles' paired-with-itself edges (2×2 tiles
    /// for several tokens, 4-row tiles for one).
    static func printMatmulSweep(backend: String) {
        guard let chosen = try? Backend(name: backend), let pool = try? ThreadPool(threads: 2) else {
            print("matmul sweep: cannot set up backend")
            return
        }
        let kernels = LinearKernels(backend: chosen, pool: pool)
        // stderr, for the script to check that the path it meant to test ran.
        printError("crosscheck: kernels " + (kernels.aarch64KernelPath ?? "none"))
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> UInt64 {
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            return state
        }
        let rows = 37
        for cols in [96, 256] {
            for kind in ["q8_0", "q4_0", "int8", "int8-asym"] {
                let bytes = matrixBytes(kind: kind, rows: rows, cols: cols, byte: { UInt8(truncatingIfNeeded: next()) },
                                        next: next)
                let zeros = (0..<rows).map { _ in Int8(truncatingIfNeeded: next()) }
                for tokens in [1, 2, 5] {
                    let x = (0..<(tokens * cols)).map { _ in Float(Int32(truncatingIfNeeded: next() >> 40) - (1 << 23)) / Float(1 << 21) }
                    var values = [Int8](repeating: 0, count: tokens * cols)
                    var xScales = [Float](repeating: 0, count: tokens * cols / 32)
                    let hash = matmulHash(kernels, kind: kind, rows: rows, cols: cols, bytes: bytes, zeros: zeros, tokens: tokens,
                                          x: x, values: &values, xScales: &xScales)
                    print("matmul \(kind) rows \(rows) cols \(cols) tokens \(tokens) fnv1a64 " + hash)
                }
            }
        }
    }

    /// The tensor type of a sweep's `kind` ("q8_0", "q4_0", "int8", "int8-asym").
    static func tensorType(_ kind: String) -> TensorType {
        kind == "q8_0" ? .q8_0 : kind == "q4_0" ? .q4_0 : .int8
    }

    /// A random matrix of `kind`: bytes from `byte`, and for Q8_0 and Q4_0 sane f16 block
    /// scales (random bytes would include NaN and infinities).
    static func matrixBytes(kind: String, rows: Int, cols: Int, byte: () -> UInt8, next: () -> UInt64) -> [UInt8] {
        let type = tensorType(kind)
        var bytes = [UInt8](repeating: 0, count: rows * type.rowBytes(elements: cols)!)
        for i in 0..<bytes.count { bytes[i] = byte() }
        if type != .int8 {
            for b in stride(from: 0, to: bytes.count, by: type == .q8_0 ? 34 : 18) {
                let h = HalfFloat.fromFloat(Float(next() % 1000 + 1) / 65536)
                bytes[b] = UInt8(truncatingIfNeeded: h); bytes[b + 1] = UInt8(truncatingIfNeeded: h >> 8)
            }
        }
        return bytes
    }

    /// One matmul through `kernels`, as a hash of its output bits. With `x` the kernels
    /// quantize it into values/xScales; without, values/xScales are the quantized input.
    /// INT8 rows get scales (r+1)/8192, and `zeros` as zero points for "int8-asym".
    static func matmulHash(_ kernels: LinearKernels, kind: String, rows: Int, cols: Int, bytes: [UInt8], zeros: [Int8],
                           tokens: Int, x: [Float]?, values: inout [Int8], xScales: inout [Float]) -> String {
        let type = tensorType(kind)
        let scales = (0..<rows).map { Float($0 + 1) / 8192 }
        var sums = [Int32](repeating: 0, count: tokens * cols / 32)
        if x == nil { ActivationQuantization.blockSums(values, count: tokens * cols, sums: &sums) }
        let input = x ?? [Float](repeating: 0, count: 1)
        var out = [Float](repeating: 0, count: tokens * rows)
        bytes.withUnsafeBytes { w in
            scales.withUnsafeBufferPointer { s in
                zeros.withUnsafeBufferPointer { z in
                    let matrix = WeightMatrix(name: kind, type: type, rows: rows, cols: cols, data: w.baseAddress!,
                                              rowScales: type == .int8 ? s.baseAddress! : nil,
                                              zeroPoints: kind == "int8-asym" ? z.baseAddress! : nil)
                    values.withUnsafeMutableBufferPointer { v in
                        xScales.withUnsafeMutableBufferPointer { xs in
                            sums.withUnsafeMutableBufferPointer { sm in
                                let scratch = ActivationScratch(values: v.baseAddress!, scales: xs.baseAddress!,
                                                                sums: sm.baseAddress!, capacity: tokens * cols)
                                kernels.matmul(matrix, x: input, xStride: cols, tokens: tokens, out: &out, outStride: rows,
                                               scratch: scratch, inputQuantized: x == nil)
                            }
                        }
                    }
                }
            }
        }
        var h = FNV1a64()
        for value in out { h.add(UInt64(value.bitPattern)) }
        return hex(h.value, width: 16)
    }

    /// Matmuls on activations already quantized (so −128, which quantizeRow gives only for
    /// non-finite input, can appear with finite scales) against weights full of −128: where
    /// (−128)·(−128) + (−128)·(−128) overflows int16, the armv8.0 NEON path must switch to
    /// its exact accumulation and still print x86's bits. 1, 2 and 5 tokens, 37 rows.
    static func printExtremeMatmuls(backend: String) {
        guard let chosen = try? Backend(name: backend), let pool = try? ThreadPool(threads: 2) else {
            print("matmul extremes: cannot set up backend")
            return
        }
        let kernels = LinearKernels(backend: chosen, pool: pool)
        var state: UInt64 = 0x2545_F491_4F6C_DD1D
        func next() -> UInt64 {
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            return state
        }
        // Mostly the extremes, some ordinary values between them.
        func extremeByte() -> UInt8 {
            switch next() % 4 {
            case 0, 1: return 0x80  // −128
            case 2: return 0x7F
            default: return UInt8(truncatingIfNeeded: next())
            }
        }
        let rows = 37, cols = 96
        for kind in ["q8_0", "q4_0", "int8-asym"] {
            let bytes = matrixBytes(kind: kind, rows: rows, cols: cols, byte: extremeByte, next: next)
            let zeros = (0..<rows).map { _ in Int8(truncatingIfNeeded: next()) }
            for tokens in [1, 2, 5] {
                var values = (0..<(tokens * cols)).map { _ in Int8(bitPattern: extremeByte()) }
                var xScales = (0..<(tokens * cols / 32)).map { _ in Float(next() % 1000 + 1) / 4096 }
                let hash = matmulHash(kernels, kind: kind, rows: rows, cols: cols, bytes: bytes, zeros: zeros, tokens: tokens,
                                      x: nil, values: &values, xScales: &xScales)
                print("matmul extremes \(kind) rows \(rows) cols \(cols) tokens \(tokens) fnv1a64 " + hash)
            }
        }
    }

    // MARK: - DeterministicMath over fixed sweeps

    static func printMathSweep() {
        // exp(Float): -110 … 95 in steps of 1/64 (exact in Float), plus special values.
        var h = FNV1a64()
        var n = 0
        var x: Float = -110
        while x <= 95 {
            h.add(UInt64(DeterministicMath.exp(x).bitPattern))
            x += 1.0 / 64.0
            n += 1
        }
        let specials: [Float] = [0, -0.0, .infinity, -.infinity, .nan, .leastNonzeroMagnitude,
                                 -.leastNonzeroMagnitude, .greatestFiniteMagnitude, 88.72, -103.97, 1e-8]
        for s in specials { h.add(UInt64(DeterministicMath.exp(s).bitPattern)); n += 1 }
        print("math exp n \(n) fnv1a64 " + hex(h.value, width: 16))
        let samples: [Float] = [-10, -1, -0.5, 0.1, 1, 2.5, 20, 80]
        for s in samples {
            print("math exp 0x" + hex(UInt64(s.bitPattern), width: 8) + " -> 0x" + hex(UInt64(DeterministicMath.exp(s).bitPattern), width: 8))
        }

        // silu(Float): -20 … 20 in steps of 1/256.
        h = FNV1a64(); n = 0
        x = -20
        while x <= 20 {
            h.add(UInt64(DeterministicMath.silu(x).bitPattern))
            x += 1.0 / 256.0
            n += 1
        }
        print("math silu n \(n) fnv1a64 " + hex(h.value, width: 16))

        // cosSin(Double): small angles densely, then RoPE-sized angles up to ~1e6.
        h = FNV1a64(); n = 0
        for i in 0..<20_000 {
            let a = Double(i - 10_000) * 0.001_953_125  // 2^-9: exact multiples
            let (c, s) = DeterministicMath.cosSin(a)
            h.add(c.bitPattern); h.add(s.bitPattern)
            n += 1
        }
        var a = 1.0
        while a < 1.0e6 {
            let (c, s) = DeterministicMath.cosSin(a)
            h.add(c.bitPattern); h.add(s.bitPattern)
            a = a * 1.013 + 0.7
            n += 1
        }
        print("math cosSin n \(n) fnv1a64 " + hex(h.value, width: 16))
        for angle in [0.5, 3.0, 1000.25, 123456.789] {
            let (c, s) = DeterministicMath.cosSin(angle)
            print("math cosSin 0x" + hex(angle.bitPattern, width: 16) + " -> 0x" + hex(c.bitPattern, width: 16) + " 0x" + hex(s.bitPattern, width: 16))
        }

        // logDouble / powDouble (RoPE frequencies use pow(theta, -2i/d)).
        h = FNV1a64(); n = 0
        var v = 1.0e-30
        while v < 1.0e30 {
            h.add(DeterministicMath.logDouble(v).bitPattern)
            v *= 1.37
            n += 1
        }
        for theta in [10_000.0, 500_000.0, 1_000_000.0] {
            for i in 0..<64 {
                h.add(DeterministicMath.powDouble(theta, -Double(2 * i) / 128.0).bitPattern)
                n += 1
            }
        }
        print("math log+pow n \(n) fnv1a64 " + hex(h.value, width: 16))
    }

    // MARK: - helpers

    /// FNV-1a, 64-bit: tiny, dependency-free, and identical on every platform.
    struct FNV1a64 {
        static let offsetBasis: UInt64 = 0xcbf2_9ce4_8422_2325
        static let prime: UInt64 = 0x0000_0100_0000_01b3
        var value: UInt64 = FNV1a64.offsetBasis

        mutating func add(_ byte: UInt8) {
            value = (value ^ UInt64(byte)) &* FNV1a64.prime
        }

        /// Little-endian bytes of `word`.
        mutating func add(_ word: UInt64) {
            var w = word
            for _ in 0..<8 { add(UInt8(truncatingIfNeeded: w)); w >>= 8 }
        }

        mutating func add(_ bytes: UnsafeRawPointer, count: Int) {
            var v = value
            for i in 0..<count {
                v = (v ^ UInt64(bytes.load(fromByteOffset: i, as: UInt8.self))) &* FNV1a64.prime
            }
            value = v
        }

        mutating func add(_ s: String) {
            for b in s.utf8 { add(b) }
        }
    }

    /// Lower-case hex, zero-padded to `width` digits.
    static func hex(_ value: UInt64, width: Int) -> String {
        let digits: [UInt8] = Array("0123456789abcdef".utf8)
        var out = [UInt8](repeating: UInt8(ascii: "0"), count: max(width, 16))
        var v = value
        var i = out.count - 1
        while i >= 0 { out[i] = digits[Int(v & 15)]; v >>= 4; i -= 1 }
        return String(decoding: out[(out.count - max(width, 1))...], as: UTF8.self)
    }

    static func printError(_ message: String) {
        var line = message + "\n"
        line.withUTF8 { buf in _ = aglm_write_all(2, buf.baseAddress, buf.count) }
    }
}
