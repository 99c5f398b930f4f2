import AutoGLMCore

/// Mixed precision under a size budget: start from every group in the quantized type and
/// walk the ranking, most sensitive first, keeping each group in F16 when the file still
/// fits the budget with it. A group that would not fit is skipped and the walk goes on,
/// so a large group (the output projection) does not stop smaller, slightly less
/// sensitive ones from using the room left.
public enum AutoMixedPrecision {
    public struct Choice: Equatable {
        /// Groups that stay F16, in ranking order.
        public var keptF16: [TensorGroup]
        /// Predicted output size: the all-quantized file plus each kept group's growth.
        public var predictedBytes: Int
        /// The all-quantized file's size: the smallest this can produce.
        public var quantizedBytes: Int
    }

    /// `quantized` and `f16` are the input written entirely in the target type and in F16;
    /// a group's cost is the difference of its tensors' (and companions') aligned slots.
    public static func choose(ranking: [TensorGroup], quantized: GGUFFile, f16: GGUFFile, budget: Int) -> Choice {
        let base = quantized.file.count
        var choice = Choice(keptF16: [], predictedBytes: base, quantizedBytes: base)
        for group in ranking {
            let growth = slotBytes(of: group, in: f16) - slotBytes(of: group, in: quantized)
            guard choice.predictedBytes + growth <= budget else { continue }
            choice.keptF16.append(group)
            choice.predictedBytes += growth
        }
        return choice
    }

    /// What the F16 groups are chosen by.
    public enum Criterion: String, CaseIterable {
        /// Mean next-token KL: any change of the distribution, most changed first.
        case kl
        /// Perplexity change: only groups whose quantization raised perplexity on the
        /// ranking text, largest rise first (targets perplexity, noise included).
        case perplexity
    }

    /// The report's groups in the order `choose` walks them.
    public static func ranking(_ report: SensitivityReport, by criterion: Criterion) -> [TensorGroup] {
        switch criterion {
        case .kl:
            return report.groups.sorted { $0.klDivergence > $1.klDivergence }.map(\.group)
        case .perplexity:
            return report.groups.filter { $0.perplexityChange > 0 }.sorted { $0.perplexityChange > $1.perplexityChange }.map(\.group)
        }
    }

    /// Bytes the group's tensors occupy in the data section, padding to alignment included.
    static func slotBytes(of group: TensorGroup, in gguf: GGUFFile) -> Int {
        var total = 0
        for t in gguf.tensors where group.contains(tensorName: t.name) {
            total += (t.byteCount + gguf.alignment - 1) / gguf.alignment * gguf.alignment
        }
        return total
    }

    /// Parses "6MB", "6000000", "5.5MiB", "800KB", "1.2GiB" (decimal units are powers of
    /// 1000, binary ones of 1024) into bytes.
    public static func parseSize(_ text: String) -> Int? {
        let units: [(String, Double)] = [("KIB", 1024), ("MIB", 1_048_576), ("GIB", 1_073_741_824),
                                         ("KB", 1e3), ("MB", 1e6), ("GB", 1e9), ("K", 1e3), ("M", 1e6), ("G", 1e9), ("B", 1)]
        let s = text.uppercased().filter { $0 != " " && $0 != "_" }
        var number = Substring(s)
        var factor = 1.0
        for (suffix, f) in units where s.hasSuffix(suffix) {
            number = s.dropLast(suffix.count)
            factor = f
            break
        }
        guard let value = Double(number), value.isFinite, value > 0, value * factor < 9e18 else { return nil }
        return Int((value * factor).rounded(.down))
    }
}
