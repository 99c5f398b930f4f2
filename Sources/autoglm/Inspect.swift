import ArgumentParser
import AutoGLMCore

struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print a GGUF file's metadata and tensor table.")

    @Argument(help: "Path to a GGUF file.")
    var model: String

    @Flag(help: "Print JSON (metadata object with arrays summarised, tensor list, totals) instead of text.")
    var json = false

    func run() throws {
        let gguf = try coreCall { () throws(CoreError) in try GGUFFile(path: model) }
        print(json ? InspectJSON.render(gguf, path: model) : InspectText.render(gguf))
    }
}

/// Tensor counts and bytes per tensor type, largest first: what a quantization mix costs.
struct TensorTotals {
    struct Entry { let type: TensorType; var tensors: Int; var bytes: Int }

    let tensors: Int
    let bytes: Int
    let byType: [Entry]

    init(_ infos: [GGUFTensorInfo]) {
        var entries: [TensorType: Entry] = [:]
        for t in infos {
            entries[t.type, default: Entry(type: t.type, tensors: 0, bytes: 0)].tensors += 1
            entries[t.type]!.bytes += t.byteCount
        }
        tensors = infos.count
        bytes = infos.reduce(0) { $0 + $1.byteCount }
        byType = entries.values.sorted { ($0.bytes, $0.type.name) > ($1.bytes, $1.type.name) }
    }
}

/// How many I8 tensors are per-channel INT8 matrices (docs/int8-format.md) and how many
/// of those are asymmetric; nil for a file without any.
struct Int8Census {
    let matrices: Int
    let asymmetric: Int
    let version: String

    init?(_ gguf: GGUFFile) {
        let owners = gguf.tensors.filter { $0.type == .int8 && Int8Format.owner(ofCompanion: $0, in: gguf) == nil }
        guard !owners.isEmpty else { return nil }
        matrices = owners.count
        asymmetric = owners.filter { gguf.tensor(named: $0.name + Int8Format.zeroPointSuffix) != nil }.count
        version = gguf.metadata[Int8Format.versionKey]?.summary ?? "absent"
    }
}

enum InspectText {
    /// Names wider than this are not padded to, so one long name does not push every row.
    static let maxNameColumn = 48

    static func render(_ gguf: GGUFFile) -> String {
        var lines = ["GGUF v\(gguf.version), \(gguf.metadataKeys.count) metadata keys, \(gguf.tensors.count) tensors, "
            + "alignment \(gguf.alignment), data at \(gguf.dataOffset)"]
        for key in gguf.metadataKeys {
            lines.append("  \(key) = \(gguf.metadata[key]!.summary)")
        }
        lines.append("tensors:")
        let width = min(maxNameColumn, gguf.tensors.map(\.name.count).max() ?? 0)
        let shapes = gguf.tensors.map { "[" + $0.shape.map(String.init).joined(separator: " × ") + "]" }
        let shapeWidth = shapes.map(\.count).max() ?? 0
        for (t, shape) in zip(gguf.tensors, shapes) {
            lines.append("  \(t.name.padding(to: width))  \(t.type.name.padding(to: 4))  "
                + "\(shape.padding(to: shapeWidth))  \(t.byteCount) bytes @ \(t.offset)")
        }
        let totals = TensorTotals(gguf.tensors)
        lines.append("total: \(totals.tensors) tensors, \(byteSize(totals.bytes))")
        for entry in totals.byType {
            lines.append("  \(entry.type.name.padding(to: 4))  \(entry.tensors) tensors, \(byteSize(entry.bytes))")
        }
        if let int8 = int8Summary(gguf) { lines.append(int8) }
        return lines.joined(separator: "\n")
    }

    static func int8Summary(_ gguf: GGUFFile) -> String? {
        guard let c = Int8Census(gguf) else { return nil }
        return "INT8 per output channel (autoglm.int8.version \(c.version)): \(c.matrices) matrices, "
            + "\(c.matrices - c.asymmetric) symmetric, \(c.asymmetric) asymmetric; scales in NAME.scale, zero points in NAME.zero_point"
    }

    /// Exact bytes plus a binary-unit size for a person, e.g. "46432 bytes (45.3 KiB)".
    static func byteSize(_ bytes: Int) -> String {
        let units = ["KiB", "MiB", "GiB", "TiB"]
        guard bytes >= 1024 else { return "\(bytes) bytes" }
        var value = Double(bytes)
        var unit = -1
        while value >= 1024 && unit < units.count - 1 { value /= 1024; unit += 1 }
        return "\(bytes) bytes (\(formatDouble(value, fractionDigits: 1)) \(units[unit]))"
    }
}

extension String {
    func padding(to width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}
