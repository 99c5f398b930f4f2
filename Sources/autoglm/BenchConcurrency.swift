import ArgumentParser
import AutoGLMCore
import CAutoGLMSys
import Foundation

/// `autoglm bench --concurrency …`: the serving engine under load.
struct ConcurrencyBenchOptions: ParsableArguments {
    @Option(help: "Concurrency levels, comma-separated (each a number of concurrent streams): measures the serving engine.")
    var concurrency: String?

    @Option(help: "Priority classes: 'interactive' (every stream), or 'mix': streams alternate background and interactive, and a critical request arrives every --critical-every steps.")
    var priorities: String = "interactive"

    @Option(name: .customLong("shared-prefix"), help: "Tokens every prompt shares at its start (0: none); also measures a second request's TTFT against the first's.")
    var sharedPrefix: Int = 0

    @Option(name: .customLong("requests-per-stream"), help: "Requests each stream sends, one after another.")
    var requestsPerStream: Int = 2

    @Option(name: .customLong("critical-every"), help: "With --priorities mix: steps between critical arrivals.")
    var criticalEvery: Int = 12

    @Option(name: .customLong("critical-gen-tokens"), help: "With --priorities mix: tokens a critical request generates.")
    var criticalGenTokens: Int = 4

    @Option(name: .customLong("window-ms"), help: "Maximum adaptive batching window, ms (≤ 50).")
    var windowMs: Int = 20

    @Option(name: .customLong("request-chunk"),
            help: "Prompt tokens of a non-critical request per step (critical ones take the whole step budget, --chunk).")
    var requestChunk: Int = 16

    var levels: [Int] {
        get throws {
            let text = concurrency ?? "1"
            let values = text.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard !values.isEmpty, values.allSatisfy({ ($0 ?? 0) >= 1 }) else {
                throw ValidationError("--concurrency wants positive integers separated by commas, got '\(text)'")
            }
            return values.map { $0! }
        }
    }

    var isMix: Bool { priorities == "mix" }

    func validate() throws {
        _ = try levels
        guard priorities == "mix" || priorities == "interactive" else {
            throw ValidationError("--priorities must be 'mix' or 'interactive', got '\(priorities)'")
        }
        guard sharedPrefix >= 0, requestsPerStream >= 1, criticalEvery >= 1,
              criticalGenTokens >= 1, windowMs >= 0, windowMs <= 50, requestChunk >= 1 else {
            throw ValidationError("--shared-prefix ≥ 0, --requests-per-stream ≥ 1, --critical-every ≥ 1, --window-ms in 0...50, --request-chunk ≥ 1")
        }
    }
}

/// Latency samples of one priority class, ms.
struct ClassLatencies {
    var ttft: [Double] = []
    var interToken: [Double] = []
}

func percentile(_ values: [Double], _ p: Double) -> Double {
    guard !values.isEmpty else { return 0 }
    let sorted = values.sorted()
    let rank = Int((p / 100 * Double(sorted.count)).rounded(.up))
    return sorted[min(max(rank, 1), sorted.count) - 1]
}

struct ConcurrencyBench {
    let options: ConcurrencyBenchOptions
    let runtime: RuntimeOptions
    let model: Model
    let modelPath: String
    let backend: Backend
    /// Per request: prompt tokens after the shared prefix, and tokens generated.
    let promptTokens: Int
    let genTokens: Int
    /// Report time per op kind per decode-only step.
    var profile = false

    static let nsPerMs = 1e6

    /// Deterministic prompt ids spread over the vocabulary: `salt` picks the stream and
    /// request, the shared prefix is the same for every salt.
    func prompt(salt: Int, vocab: Int) -> [Int32] {
        var ids: [Int32] = (0..<options.sharedPrefix).map { Int32(($0 * 7919 + 13) % vocab) }
        ids += (0..<promptTokens).map { Int32((($0 + 1) * 104_729 + salt * 15_485_863 + 101) % vocab) }
        return ids
    }

    func run() throws -> [String: Any] {
        guard genTokens >= 2 else { throw CLIError(description: "--gen-tokens must be at least 2 to time decode steps") }
        let levels = try options.levels
        let maxLevel = levels.max()!
        var limits = try runtime.limits(for: model.config)
        let longest = options.sharedPrefix + promptTokens + max(genTokens, options.criticalGenTokens) + 1
        if runtime.context == nil { limits.maxContext = longest }
        guard longest <= limits.maxContext else {
            throw CLIError(description: "prompt + generated tokens (\(longest)) exceed the context (\(limits.maxContext))")
        }
        limits.maxBatch = max(limits.maxBatch, maxLevel)
        limits.prefillChunk = min(max(limits.prefillChunk, limits.maxBatch), limits.maxContext)
        if runtime.sequences == nil { limits.maxSequences = 2 * limits.maxBatch + 2 }
        let state = try coreCall { () throws(CoreError) in try InferenceState(model: model, limits: limits, backend: backend) }
        let vocab = model.config.vocabularySize
        let clock = MonotonicClock()

        func scheduler(running: Int) throws -> Scheduler {
            state.kvPool.clearPrefixCache()
            return try coreCall { () throws(CoreError) in
                try Scheduler(state: state, config: SchedulerConfig(maxRunning: running, stepTokenBudget: state.plan.rows,
                                                                     prefillChunk: min(options.requestChunk, state.plan.rows),
                                                                     maxRequests: 4 * limits.maxBatch + 4,
                                                                     maxBatchingWindowNanoseconds: UInt64(options.windowMs) * 1_000_000),
                              clock: clock)
            }
        }
        /// TTFT of one request alone on an idle engine, ms.
        func aloneTTFT(_ s: Scheduler, _ tokens: [Int32], gen: Int) throws -> Double {
            let r = try coreCall { () throws(CoreError) in try s.submit(prompt: tokens, options: RequestOptions(priority: .critical, maxNewTokens: gen)) }
            while !r.isFinished { s.step() }
            return Double(r.firstTokenTime - r.arrival) / Self.nsPerMs
        }

        // Warm-up (touches weights and arena). A critical prompt's own prefill time is
        // measured alone on the idle engine right before each level (the machine's speed
        // drifts; the level is compared with its neighbour in time).
        let idle = try scheduler(running: 1)
        _ = try aloneTTFT(idle, prompt(salt: 999_999, vocab: vocab), gen: 2)
        var alonePrefill: [Double] = []
        var rows: [[String: Any]] = []
        var decodeRate: [Int: Double] = [:]
        for (n, level) in levels.enumerated() {
            let idle = try scheduler(running: 1)
            var alone: [Double] = []
            for k in 0..<3 { alone.append(try aloneTTFT(idle, prompt(salt: 900_000 + 10 * n + k, vocab: vocab), gen: 1)) }
            alonePrefill += alone
            let row = try runLevel(level, scheduler: try scheduler(running: level), vocab: vocab, criticalAloneMs: median(alone))
            decodeRate[level] = row["aggregate_decode_tokens_per_second"] as? Double
            rows.append(row)
        }
        let criticalAloneMs = median(alonePrefill)
        var report: [String: Any] = [
            "model": modelPath, "backend": backend.name, "kernels": state.kernels.path.name, "threads": limits.threads, "kv_type": limits.kvType.name,
            "prompt_tokens": promptTokens, "gen_tokens": genTokens, "shared_prefix": options.sharedPrefix,
            "priorities": options.priorities, "requests_per_stream": options.requestsPerStream,
            "step_token_budget": state.plan.rows, "kv_pages": state.kvPool.pageCount,
            "critical_alone_prefill_ms": criticalAloneMs,
            "concurrency": rows,
        ]
        if let one = decodeRate[1], one > 0 {
            var speedups: [String: Double] = [:]
            for (level, rate) in decodeRate where level > 1 { speedups["\(level)"] = rate / one }
            report["decode_speedup_vs_1"] = speedups
        }
        if options.sharedPrefix > 0 {
            let s = try scheduler(running: 1)
            let first = try aloneTTFT(s, prompt(salt: 800_001, vocab: vocab), gen: 2)
            let second = try aloneTTFT(s, prompt(salt: 800_002, vocab: vocab), gen: 2)
            s.pool.clearPrefixCache()
            let cold = try aloneTTFT(s, prompt(salt: 800_003, vocab: vocab), gen: 2)
            report["shared_prefix_reuse"] = [
                "first_ttft_ms": first, "second_ttft_ms": second, "cold_ttft_ms": cold,
                "prefill_skipped_fraction": 1 - second / first,
            ]
        }
        return report
    }

    /// `level` closed-loop streams, each sending requestsPerStream requests; with the mix,
    /// a critical request every criticalEvery steps while they run.
    func runLevel(_ level: Int, scheduler s: Scheduler, vocab: Int, criticalAloneMs: Double) throws -> [String: Any] {
        var latencies: [RequestPriority: ClassLatencies] = [:]
        var streams: [ServingRequest?] = Array(repeating: nil, count: level)
        var sent = Array(repeating: 0, count: level)
        var criticals: [ServingRequest] = []
        var seen: [ObjectIdentifier: (count: Int, last: UInt64)] = [:]
        var tracked: [ServingRequest] = []
        var decodeTokens = 0, decodeNs: UInt64 = 0, generated = 0
        var decodeStepsMs: [Double] = []
        var decodeOpNs = [UInt64](repeating: 0, count: OpKind.allCases.count)
        var steps = 0
        func submit(_ tokens: [Int32], _ priority: RequestPriority, _ gen: Int) throws -> ServingRequest {
            let r = try coreCall { () throws(CoreError) in try s.submit(prompt: tokens, options: RequestOptions(priority: priority, maxNewTokens: gen)) }
            tracked.append(r)
            return r
        }
        let start = aglm_monotonic_ns()
        while true {
            for i in 0..<level where (streams[i]?.isFinished ?? true) && sent[i] < options.requestsPerStream {
                let priority: RequestPriority = options.isMix ? (i % 2 == 0 ? .background : .interactive) : .interactive
                streams[i] = try submit(prompt(salt: i * 1000 + sent[i], vocab: vocab), priority, genTokens)
                sent[i] += 1
            }
            if options.isMix && steps % options.criticalEvery == options.criticalEvery / 2 && streams.contains(where: { !($0?.isFinished ?? true) }) {
                criticals.append(try submit(prompt(salt: 500_000 + steps, vocab: vocab), .critical, options.criticalGenTokens))
            }
            if s.activeCount == 0 { break }
            let promptBefore = s.promptTokensComputed
            s.state.profile.isEnabled = profile
            let t0 = aglm_monotonic_ns()
            let rows = s.step()
            let t1 = aglm_monotonic_ns()
            s.state.profile.isEnabled = false
            steps += 1
            if rows > 0 && s.promptTokensComputed == promptBefore {
                decodeTokens += rows
                decodeNs += t1 - t0
                decodeStepsMs.append(Double(t1 - t0) / Self.nsPerMs)
                for kind in OpKind.allCases { decodeOpNs[kind.rawValue] += s.state.profile.nanoseconds(kind) }
            }
            s.state.profile.reset()
            for r in tracked {
                let key = ObjectIdentifier(r)
                let before = seen[key] ?? (0, r.arrival)
                guard r.generatedCount > before.count else { continue }
                generated += r.generatedCount - before.count
                var l = latencies[r.priority] ?? ClassLatencies()
                if before.count == 0 {
                    l.ttft.append(Double(r.firstTokenTime - r.arrival) / Self.nsPerMs)
                } else {
                    l.interToken.append(Double(r.lastTokenTime - before.last) / Self.nsPerMs)
                }
                latencies[r.priority] = l
                seen[key] = (r.generatedCount, r.lastTokenTime)
            }
            tracked.removeAll { $0.isFinished }
        }
        let wallNs = aglm_monotonic_ns() - start
        var ttft: [String: Any] = [:], itl: [String: Any] = [:]
        for (priority, l) in latencies {
            ttft[priority.name] = ["p50": percentile(l.ttft, 50), "p99": percentile(l.ttft, 99), "count": l.ttft.count]
            itl[priority.name] = ["p50": percentile(l.interToken, 50), "p99": percentile(l.interToken, 99), "count": l.interToken.count]
        }
        let decodeStepMs = median(decodeStepsMs)
        var row: [String: Any] = [
            "concurrency": level,
            "aggregate_decode_tokens_per_second": decodeNs == 0 ? 0 : Double(decodeTokens) * 1e9 / Double(decodeNs),
            "end_to_end_tokens_per_second": Double(generated) * 1e9 / Double(wallNs),
            "decode_step_ms_p50": decodeStepMs,
            "steps": steps,
            "ttft_ms": ttft,
            "inter_token_ms": itl,
            "prefix_cache_hit_ratio": s.pool.prefixHitRatio,
            "prompt_tokens_reused": s.promptTokensReused,
            "prompt_tokens_computed": s.promptTokensComputed,
            "preemptions": s.preemptions,
        ]
        if profile && !decodeStepsMs.isEmpty {
            var ops: [String: Double] = [:]
            for kind in OpKind.allCases { ops[kind.name] = Double(decodeOpNs[kind.rawValue]) / Self.nsPerMs / Double(decodeStepsMs.count) }
            row["decode_step_ms_by_op"] = ops
        }
        if options.isMix, let critical = latencies[.critical], !critical.ttft.isEmpty {
            let bound = criticalAloneMs + 2 * decodeStepMs
            row["critical_alone_prefill_ms"] = criticalAloneMs
            row["critical_ttft_bound_ms"] = bound
            row["critical_ttft_within_bound"] = percentile(critical.ttft, 99) <= bound
        }
        return row
    }
}

func printConcurrencyReport(_ report: [String: Any]) {
    print("model: \(report["model"] ?? "?"), backend \(report["backend"] ?? "?"), kernels \(report["kernels"] ?? "?"), threads \(report["threads"] ?? "?"), kv \(report["kv_type"] ?? "?")")
    for case let row as [String: Any] in (report["concurrency"] as? [Any]) ?? [] {
        let rate = row["aggregate_decode_tokens_per_second"] as? Double ?? 0
        var line = "concurrency \(row["concurrency"] ?? "?"): decode \(format(rate)) tok/s aggregate, step p50 \(format(row["decode_step_ms_p50"] as? Double ?? 0)) ms, "
            + "prefix hits \(format(100 * (row["prefix_cache_hit_ratio"] as? Double ?? 0)))%, preemptions \(row["preemptions"] ?? 0)"
        for priority in RequestPriority.allCases.reversed() {
            guard let t = (row["ttft_ms"] as? [String: Any])?[priority.name] as? [String: Any],
                  let i = (row["inter_token_ms"] as? [String: Any])?[priority.name] as? [String: Any] else { continue }
            if priority == .critical, let bound = row["critical_ttft_bound_ms"] as? Double {
                line += "\n  critical TTFT bound (alone prefill + 2 decode steps): \(format(bound)) ms"
            }
            line += "\n  \(priority.name): TTFT p50 \(format(t["p50"] as? Double ?? 0)) / p99 \(format(t["p99"] as? Double ?? 0)) ms, "
                + "inter-token p50 \(format(i["p50"] as? Double ?? 0)) / p99 \(format(i["p99"] as? Double ?? 0)) ms"
        }
        if let ops = row["decode_step_ms_by_op"] as? [String: Double] {
            line += "\n  decode step by op (ms): " + ops.sorted { $0.value > $1.value }.map { "\($0.key) \(format($0.value))" }.joined(separator: ", ")
        }
        print(line)
    }
    if let speedups = report["decode_speedup_vs_1"] as? [String: Double] {
        print("decode speed-up vs 1 stream: " + speedups.sorted { Int($0.key)! < Int($1.key)! }.map { "\($0.key): \(format($0.value))×" }.joined(separator: ", "))
    }
    if let reuse = report["shared_prefix_reuse"] as? [String: Double] {
        print("shared prefix: first TTFT \(format(reuse["first_ttft_ms"] ?? 0)) ms, second \(format(reuse["second_ttft_ms"] ?? 0)) ms "
            + "(\(format(100 * (reuse["prefill_skipped_fraction"] ?? 0)))% of the prefill skipped)")
    }
}
