import ArgumentParser
import AutoGLMCore

struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print a GGUF file's metadata and tensor table.")

    @Argument(help: "Path to a GGUF file.")
    var model: String

    @Flag(help: "Print JSON (metadata object with arrays summarised, tensor list, totals) instead of text.")
    var json = false

    /// Lists a file in any ggml tensor type, then says whether this runtime can run it and
    /// why not: inspecting a file is how one finds out. Exits 0 either way; only a file that
    /// does not parse is an error.
    func run() throws {
        let gguf = try coreCall { () throws(CoreError) in try GGUFFile(path: model, acceptingUnsupportedTensorTypes: true) }
        let verdict = Runnability(gguf)
        print(json ? InspectJSON.render(gguf, path: model, verdict: verdict) : InspectText.render(gguf, verdict: verdict))
    }
}

/// Whether the runtime can load the file as a model, and if not, why.
struct Runnability {
    /// nil when the model loads.
    let reason: String?

    init(_ gguf: GGUFFile) {
        if !gguf.unsupportedTensors.isEmpty {
            var counts: [String: Int] = [:]
            for t in gguf.unsupportedTensors { counts[t.typeDescription, default: 0] += 1 }
            let types = counts.sorted { $0.key < $1.key }.map { "\($0.value) in \($0.key)" }.joined(separator: ", ")
            reason = "\(gguf.unsupportedTensors.count) tensors are in types this runtime does not run (\(types); "
                + "it runs " + TensorType.allCases.map(\.name).joined(separator: ", ") + ")"
            return
        }
        do {
            _ = try Model(gguf: gguf)
            reason = nil
        } catch {
            reason = error.message
        }
    }
}

/// One row of the tensor table: a tensor the runtime runs or one it does not, in file order.
struct TensorRow {
    let name: String
    let shape: [Int]
    let typeName: String
    let offset: UInt64
    let byteCount: Int?
    let supported: Bool

    static func all(_ gguf: GGUFFile) -> [TensorRow] {
        var rows = gguf.tensors.map {
            TensorRow(name: $0.name, shape: $0.shape, typeName: $0.type.name, offset: UInt64($0.offset),
                      byteCount: $0.byteCount, supported: true)
        }
        for t in gguf.unsupportedTensors {
            rows.insert(TensorRow(name: t.name, shape: t.shape, typeName: t.typeDescription, offset: t.offset,
                                  byteCount: t.byteCount, supported: false), at: t.position)
        }
        return rows
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

    static func render(_ gguf: GGUFFile, verdict: Runnability) -> String {
        let count = gguf.tensors.count + gguf.unsupportedTensors.count
        var lines = ["GGUF v\(gguf.version), \(gguf.metadataKeys.count) metadata keys, \(count) tensors, "
            + "alignment \(gguf.alignment), data at \(gguf.dataOffset)"]
        for key in gguf.metadataKeys {
            lines.append("  \(shown(key)) = \(gguf.metadata[key]!.summary)")
        }
        lines.append("tensors:")
        let rows = TensorRow.all(gguf)
        let names = rows.map { shown($0.name) }
        let width = min(maxNameColumn, names.map(\.count).max() ?? 0)
        let shapes = rows.map { "[" + $0.shape.map(String.init).joined(separator: " × ") + "]" }
        let shapeWidth = shapes.map(\.count).max() ?? 0
        let typeWidth = max(4, rows.map(\.typeName.count).max() ?? 0)
        for (i, row) in rows.enumerated() {
            let size = row.byteCount.map { "\($0) bytes" } ?? "? bytes"
            lines.append("  \(names[i].padding(to: width))  \(row.typeName.padding(to: typeWidth))  "
                + "\(shapes[i].padding(to: shapeWidth))  \(size) @ \(row.offset)"
                + (row.supported ? "" : "  UNSUPPORTED TYPE"))
        }
        let totals = TensorTotals(gguf.tensors)
        lines.append("total: \(totals.tensors) tensors, \(byteSize(totals.bytes))")
        for entry in totals.byType {
            lines.append("  \(entry.type.name.padding(to: 4))  \(entry.tensors) tensors, \(byteSize(entry.bytes))")
        }
        if let int8 = int8Summary(gguf) { lines.append(int8) }
        lines.append(verdict.reason.map { "cannot run: " + $0 } ?? "runs: yes")
        return lines.joined(separator: "\n")
    }

    /// A key or tensor name as the terminal may show it: the file chose it, so control
    /// characters are escaped and a huge one is cut.
    static func shown(_ name: String) -> String {
        let q = UntrustedText.quoted(name)
        return q == "'" + name + "'" ? name : q
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
