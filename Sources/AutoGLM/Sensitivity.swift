import AutoGLMCore
import Foundation

/// How much quantizing one tensor group (everything else as in the input) changes the
/// model's next-token distributions on a text.
public struct GroupSensitivity: Codable, Equatable, Sendable {
    public var group: TensorGroup
    /// Mean over scored positions of KL(P_input ‖ P_quantized), in nats.
    public var klDivergence: Double
    public var perplexity: Double
    /// perplexity − the input model's perplexity on the same positions.
    public var perplexityChange: Double
    /// The group's bytes in the input file and quantized (tensors plus companions).
    public var inputBytes: Int
    public var quantizedBytes: Int

    enum CodingKeys: String, CodingKey {
        case group, perplexity
        case klDivergence = "kl_divergence"
        case perplexityChange = "perplexity_change"
        case inputBytes = "input_bytes"
        case quantizedBytes = "quantized_bytes"
    }
}

/// The `autoglm sensitivity --json` document; `quantize --auto-mixed --sensitivity` reads it.
public struct SensitivityReport: Codable, Equatable {
    public static let formatName = "autoglm-sensitivity"

    public var format = SensitivityReport.formatName
    public var model: String
    public var type: String
    public var context: Int
    public var windows: Int
    public var scoredTokens: Int
    public var perplexity: Double
    /// Most sensitive (largest KL) first.
    public var groups: [GroupSensitivity]

    enum CodingKeys: String, CodingKey {
        case format, model, type, context, windows, perplexity, groups
        case scoredTokens = "scored_tokens"
    }

    public static func load(path: String) throws -> SensitivityReport {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CalibrationError.unsupportedFile("cannot read \(quoted(path))")
        }
        let report: SensitivityReport
        do {
            report = try JSONDecoder().decode(SensitivityReport.self, from: data)
        } catch {
            throw CalibrationError.unsupportedFile("\(quoted(path)) is not a sensitivity report: \(error)")
        }
        guard report.format == formatName else {
            throw CalibrationError.unsupportedFile("\(quoted(path)) has format \(quoted(report.format)), expected \(quoted(formatName))")
        }
        return report
    }
}

/// Quantizes one group at a time into a temporary GGUF (GGUFQuantizer, all other
/// tensors copied unchanged), evaluates it over the same windows as the input model and
/// compares the next-token distributions position by position.
public struct SensitivityAnalysis {
    public let modelPath: String
    public let input: Model
    public let target: TensorType
    public let windows: TextWindows
    public let maxWindows: Int
    public let limits: RuntimeLimits
    public let backend: Backend
    public let scratchDirectory: String

    public init(modelPath: String, input: Model, target: TensorType, windows: TextWindows, maxWindows: Int,
                limits: RuntimeLimits, backend: Backend, scratchDirectory: String) {
        self.modelPath = modelPath
        self.input = input
        self.target = target
        self.windows = windows
        self.maxWindows = maxWindows
        self.limits = limits
        self.backend = backend
        self.scratchDirectory = scratchDirectory
    }

    /// Steps for progress: the input model, then each group.
    public enum Step { case reference, group(Int, Int, TensorGroup, GroupSensitivity) }

    public func run(groups: [TensorGroup], targetName: String, progress: (Step) -> Void) throws -> SensitivityReport {
        let tokens = windows.prefix(windows: maxWindows)
        let vocab = input.config.vocabularySize
        // Log-probabilities of the input model at every scored position: [positions × vocab].
        var reference: [Float] = []
        let base = try evaluate(input) { logits, _ in
            let start = reference.count
            reference.append(contentsOf: UnsafeBufferPointer(start: logits, count: vocab))
            reference.withUnsafeMutableBufferPointer { Self.logSoftmax($0.baseAddress! + start, count: vocab) }
        }
        progress(.reference)

        var results: [GroupSensitivity] = []
        let allNames = input.gguf.tensors.map(\.name)
        // Unique per call, not only per process: tests run analyses concurrently in one process.
        let runID = UUID().uuidString
        for (i, group) in groups.enumerated() {
            let path = scratchDirectory + "/sensitivity-\(ProcessInfo.processInfo.processIdentifier)-\(runID)-\(i).gguf"
            defer { try? FileManager.default.removeItem(atPath: path) }
            let keep = allNames.filter { !group.contains(tensorName: $0) }
            try GGUFQuantizer.quantize(input: input.gguf, outputPath: path, type: target, keep: keep) { _ in }
            let quantized = try Model(path: path)
            var position = 0
            var kl = 0.0
            var logProbs = [Float](repeating: 0, count: vocab)
            let result = try evaluate(quantized) { logits, _ in
                logProbs.withUnsafeMutableBufferPointer { q in
                    q.baseAddress!.update(from: logits, count: vocab)
                    Self.logSoftmax(q.baseAddress!, count: vocab)
                    reference.withUnsafeBufferPointer { r in
                        kl += Self.klDivergence(r.baseAddress! + position * vocab, q.baseAddress!, count: vocab)
                    }
                }
                position += 1
            }
            let entry = GroupSensitivity(group: group, klDivergence: kl / Double(max(1, position)),
                                         perplexity: result.perplexity, perplexityChange: result.perplexity - base.perplexity,
                                         inputBytes: Self.bytes(of: group, in: input.gguf),
                                         quantizedBytes: Self.bytes(of: group, in: quantized.gguf))
            results.append(entry)
            progress(.group(i + 1, groups.count, group, entry))
        }
        results.sort { ($0.klDivergence, $0.perplexityChange) > ($1.klDivergence, $1.perplexityChange) }
        return SensitivityReport(model: modelPath, type: targetName, context: windows.context,
                                 windows: tokens.count / windows.context, scoredTokens: base.scoredTokens,
                                 perplexity: base.perplexity, groups: results)
    }

    func evaluate(_ model: Model, onScored: (UnsafePointer<Float>, Int32) -> Void) throws -> PerplexityResult {
        let tokens = windows.prefix(windows: maxWindows)
        let state = try InferenceState(model: model, limits: limits, backend: backend)
        return try Perplexity.evaluate(state: state, tokens: tokens, context: windows.context, bos: windows.bos,
                                       tokenByteCount: { _ in 1 }, onScored: onScored)
    }

    /// Bytes the group's tensors and their companions take in `gguf`.
    static func bytes(of group: TensorGroup, in gguf: GGUFFile) -> Int {
        gguf.tensors.filter { group.contains(tensorName: $0.name) }.reduce(0) { $0 + $1.byteCount }
    }

    /// In place: x ← x − log Σ exp(x), in Double for the sum.
    static func logSoftmax(_ x: UnsafeMutablePointer<Float>, count: Int) {
        var m = -Float.infinity
        for i in 0..<count { m = max(m, x[i]) }
        var sum = 0.0
        for i in 0..<count { sum += Foundation.exp(Double(x[i] - m)) }
        let logZ = Double(m) + Foundation.log(sum)
        for i in 0..<count { x[i] = Float(Double(x[i]) - logZ) }
    }

    /// KL(p ‖ q) = Σ p (log p − log q) from log-probabilities.
    static func klDivergence(_ logP: UnsafePointer<Float>, _ logQ: UnsafePointer<Float>, count: Int) -> Double {
        var kl = 0.0
        for i in 0..<count {
            let lp = Double(logP[i])
            kl += Foundation.exp(lp) * (lp - Double(logQ[i]))
        }
        return max(0, kl)
    }
}
