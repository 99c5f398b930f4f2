import ArgumentParser
import AutoGLM
import AutoGLMCore
import CAutoGLMSys
import Foundation

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure prefill and decode speed of a model: tokens/s, end-to-end time, peak memory.",
        discussion: """
            Feeds --prompt-tokens synthetic token ids (spread over the vocabulary, the same ids \
            tools/compare_kernels.py gives llama.cpp), then decodes --gen-tokens greedily, ignoring \
            end-of-generation tokens. One untimed warm-up repetition touches the weights and the \
            arena first. Absolute figures depend on the machine's state (memory bandwidth on a shared \
            machine moves from minute to minute); compare runtimes by ratios measured alternating A/B \
            in one script (tools/compare_kernels.py).

            With --concurrency 1,2,4,8,16 it measures the serving engine instead: each level runs             that many concurrent streams through the scheduler (continuous batching, one batched             pass per step) and prints one row per level (BenchConcurrency.swift).
            """)

    @Option(help: "Path to a GGUF model (default: the bundled model).")
    var model: String?

    @Option(name: .customLong("prompt-tokens"), help: "Prompt length in tokens.")
    var promptTokens: Int = 128

    @Option(name: .customLong("gen-tokens"), help: "Tokens to decode after the prompt.")
    var genTokens: Int = 64

    @Option(help: "Timed repetitions (after one warm-up).")
    var repetitions: Int = 5

    @OptionGroup var kernel: BackendOption

    @OptionGroup var armnn: ArmNNOptions

    @OptionGroup var runtime: RuntimeOptions

    @Flag(help: "Print one JSON object.")
    var json = false

    @Flag(help: "Also report the time per op kind (matmul, attention, norms, rope, activation quantization, sampling).")
    var profile = false

    @OptionGroup var serving: ConcurrencyBenchOptions

    func validate() throws {
        guard promptTokens >= 1 else { throw ValidationError("--prompt-tokens must be at least 1") }
        guard genTokens >= 1 else { throw ValidationError("--gen-tokens must be at least 1") }
        guard repetitions >= 1 else { throw ValidationError("--repetitions must be at least 1") }
    }

    func run() throws {
        // First: a backend this build lacks is an error before any file is read.
        let (chosenBackend, useArmNN) = try resolveBackends(kernel.backend)
        let path = try model ?? BundledModels.defaultModelPath()
        let loaded = try coreCall { () throws(CoreError) in try Model(path: path) }
        if serving.concurrency != nil {
            let report = try ConcurrencyBench(options: serving, runtime: runtime, model: loaded, modelPath: path,
                                              backend: try resolveBackend(kernel.backend),
                                              promptTokens: promptTokens, genTokens: genTokens, profile: profile).run()
            if json {
                let data = try JSONSerialization.data(withJSONObject: report, options: [.sortedKeys])
                print(String(decoding: data, as: UTF8.self))
            } else {
                printConcurrencyReport(report)
            }
            return
        }
        var limits = try runtime.limits(for: loaded.config)
        // Size the context (and so the KV cache) for this run unless the user asked otherwise.
        if runtime.context == nil { limits.maxContext = promptTokens + genTokens }
        limits.prefillChunk = min(limits.prefillChunk, limits.maxContext)
        guard promptTokens + genTokens <= limits.maxContext else {
            throw CLIError(description: "prompt + generated tokens (\(promptTokens + genTokens)) exceed the context (\(limits.maxContext))")
        }
        let state = try coreCall { () throws(CoreError) in try InferenceState(model: loaded, limits: limits, backend: chosenBackend) }
        if useArmNN {
            let tokenizer = try coreCall { () throws(CoreError) in try Tokenizer(gguf: loaded.gguf) }
            printError(try armnn.attach(to: state, tokenizer: tokenizer))
        }
        let runs = try singleStreamRuns(state: state)
        let report = SingleStreamReport(model: path, backendName: useArmNN ? ArmNNOptions.backendName : chosenBackend.name,
                                        state: state, runs: runs,
                                        promptTokens: promptTokens, genTokens: genTokens)
        if json {
            let data = try JSONSerialization.data(withJSONObject: report.json(), options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        } else {
            print(report.text())
        }
    }

    /// The warm-up and the timed repetitions of one prompt + generation on one sequence.
    func singleStreamRuns(state: InferenceState) throws -> [SingleStreamRun] {
        let vocab = state.config.vocabularySize
        let prompt = BenchPrompt.tokens(count: promptTokens, vocabularySize: vocab)
        let sampler = try coreCall { () throws(CoreError) in
            try Sampler(config: SamplerConfig(temperature: 0), vocabularySize: vocab)
        }
        let history = UnsafeMutablePointer<Int32>.allocate(capacity: promptTokens + genTokens)
        defer { history.deallocate() }
        for (i, id) in prompt.enumerated() { history[i] = id }

        var runs: [SingleStreamRun] = []
        for repetition in 0...repetitions {
            let timed = repetition > 0
            state.profile.reset()
            state.profile.isEnabled = profile && timed
            var run = SingleStreamRun()
            let start = aglm_monotonic_ns()
            state.prefill(tokens: UnsafeBufferPointer(start: history, count: promptTokens), startPosition: 0)
            let prefillEnd = aglm_monotonic_ns()
            var position = promptTokens
            for _ in 0..<genTokens {
                let sampleStart = state.profile.begin()
                let token = sampler.sample(logits: state.logits, history: UnsafeBufferPointer(start: history, count: position))
                state.profile.end(.sampling, since: sampleStart)
                history[position] = token
                state.forward(tokens: UnsafeBufferPointer(start: history + position, count: 1), startPosition: position)
                position += 1
            }
            let end = aglm_monotonic_ns()
            run.prefillNanoseconds = prefillEnd - start
            run.decodeNanoseconds = end - prefillEnd
            if profile && timed {
                for kind in OpKind.allCases { run.opNanoseconds[kind.name] = state.profile.nanoseconds(kind) }
            }
            if timed { runs.append(run) }
        }
        state.profile.isEnabled = false
        return runs
    }
}

/// The benchmark's prompt: deterministic ids spread over the vocabulary (a prime stride),
/// so every run and every runtime sees the same tokens without a tokenizer.
enum BenchPrompt {
    static let stride = 7919
    static let offset = 13

    static func tokens(count: Int, vocabularySize: Int) -> [Int32] {
        (0..<count).map { Int32((($0 * stride) + offset) % vocabularySize) }
    }
}

struct SingleStreamRun {
    var prefillNanoseconds: UInt64 = 0
    var decodeNanoseconds: UInt64 = 0
    /// Op kind name → nanoseconds over prefill and decode, when profiled.
    var opNanoseconds: [String: UInt64] = [:]
}

/// Medians, extremes and the memory figures of a set of single-stream runs.
struct SingleStreamReport {
    let model: String
    let backendName: String
    let state: InferenceState
    let runs: [SingleStreamRun]
    let promptTokens: Int
    let genTokens: Int

    var prefillRates: [Double] { runs.map { Double(promptTokens) * 1e9 / Double(max($0.prefillNanoseconds, 1)) } }
    var decodeRates: [Double] { runs.map { Double(genTokens) * 1e9 / Double(max($0.decodeNanoseconds, 1)) } }
    var e2eMilliseconds: [Double] { runs.map { Double($0.prefillNanoseconds + $0.decodeNanoseconds) / 1e6 } }
    var weightsBytes: Int { state.model.weightsBytes }
    var kvBytes: Int { state.plan.entry("KV pages").bytes }
    /// Bytes the decode step streams per token: every weight matrix once (the KV reads are
    /// small next to them at these lengths and are left out).
    var decodeBandwidthGBps: Double { Double(weightsBytes) * median(decodeRates) / 1e9 }

    func json() -> [String: Any] {
        var object: [String: Any] = [
            "model": model,
            "backend": backendName,
            "kernels": state.kernels.path.name,
            "threads": state.limits.threads,
            "prefill_chunk": state.limits.prefillChunk,
            "prompt_tokens": promptTokens,
            "gen_tokens": genTokens,
            "repetitions": runs.count,
            "prefill_tokens_per_second": summary(prefillRates),
            "decode_tokens_per_second": summary(decodeRates),
            "e2e_ms": summary(e2eMilliseconds),
            "peak_rss_bytes": Int(aglm_peak_rss_bytes()),
            "weights_bytes": weightsBytes,
            "kv_cache_bytes": kvBytes,
            "arena_bytes": state.plan.arenaBytes,
            "decode_bandwidth_gbps": decodeBandwidthGBps,
        ]
        if let profile = profileMilliseconds() { object["profile_ms_per_repetition"] = profile }
        return object
    }

    func text() -> String {
        let pp = summary(prefillRates), tg = summary(decodeRates), e2e = summary(e2eMilliseconds)
        func row(_ label: String, _ s: [String: Any], _ unit: String) -> String {
            "\(label) \(f1(s["median"])) \(unit) (min \(f1(s["min"])), max \(f1(s["max"])))"
        }
        var lines = [
            "model \(model), backend \(backendName), kernels \(state.kernels.path.name), threads \(state.limits.threads), \(runs.count) repetitions",
            row("prefill \(promptTokens) tokens:", pp, "tok/s"),
            row("decode \(genTokens) tokens: ", tg, "tok/s"),
            row("end to end:", e2e, "ms"),
            "weights \(formatBytes(weightsBytes)), decode reads \(f1(decodeBandwidthGBps)) GB/s, "
                + "peak RSS \(formatBytes(Int(aglm_peak_rss_bytes()))) (plan: arena \(formatBytes(state.plan.arenaBytes)) incl. KV \(formatBytes(kvBytes)))",
        ]
        if let profile = profileMilliseconds() {
            lines.append("time per repetition by op kind (ms):")
            for kind in OpKind.allCases { lines.append("  \(kind.name): \(f1(profile[kind.name]))") }
        }
        return lines.joined(separator: "\n")
    }

    /// Median over the runs of each op kind's milliseconds; "other" is what no op covered
    /// (embedding, residual adds, SwiGLU, biases).
    private func profileMilliseconds() -> [String: Double]? {
        guard let first = runs.first, !first.opNanoseconds.isEmpty else { return nil }
        var result: [String: Double] = [:]
        for kind in OpKind.allCases where kind != .other {
            result[kind.name] = median(runs.map { Double($0.opNanoseconds[kind.name] ?? 0) / 1e6 })
        }
        let covered = result.values.reduce(0, +)
        result[OpKind.other.name] = max(0, median(e2eMilliseconds) - covered)
        return result
    }

    private func summary(_ values: [Double]) -> [String: Any] {
        ["median": median(values), "min": values.min() ?? 0, "max": values.max() ?? 0, "runs": values]
    }

    private func f1(_ value: Any?) -> String { String(format: "%.1f", (value as? Double) ?? 0) }
}

func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    guard !sorted.isEmpty else { return 0 }
    let mid = sorted.count / 2
    return sorted.count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}
