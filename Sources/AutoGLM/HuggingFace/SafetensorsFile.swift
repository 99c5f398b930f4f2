import AutoGLMCore
import Foundation

/// One tensor of a safetensors file, after its header entry was checked.
public struct SafetensorsTensor: Equatable {
    public let name: String
    public let dtype: SafetensorsDType
    /// Row-major, outermost first (PyTorch order): a Linear weight is [out, in].
    public let shape: [Int]
    /// Offset from the start of the data section.
    public let offset: Int
    public let byteCount: Int

    public var elementCount: Int { shape.reduce(1, *) }
}

public enum SafetensorsDType: String, Equatable {
    case f32 = "F32", f16 = "F16", bf16 = "BF16"

    var bytes: Int { self == .f32 ? 4 : 2 }
}

/// A safetensors file over a read-only mapping: an 8-byte little-endian header length,
/// a JSON header {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": …},
/// then the data. Every length, offset and shape is checked against the file before
/// use; data is never copied.
public final class SafetensorsFile {
    public static let lengthFieldBytes = 8
    /// Real headers are a few hundred bytes per tensor; this is far above any model's.
    public static let maxHeaderBytes = 100 << 20
    public static let maxDimensions = 8
    /// Keeps element counts far from Int overflow.
    public static let maxElements = 1 << 48

    public let path: String
    public let file: MappedFile
    /// In data-offset order.
    public let tensors: [SafetensorsTensor]
    public let dataOffset: Int
    private let index: [String: Int]

    public init(path: String) throws {
        self.path = path
        do { file = try MappedFile(path: path) } catch { throw HFError.core(error) }
        let size = file.count
        guard size >= Self.lengthFieldBytes else { throw HFError.safetensorsTooSmall(path: path, bytes: size) }
        let length = file.base.loadUnaligned(as: UInt64.self).littleEndian
        guard length <= UInt64(Self.maxHeaderBytes), Int(length) <= size - Self.lengthFieldBytes else {
            throw HFError.safetensorsHeaderLength(path: path, length: length, limit: min(Self.maxHeaderBytes, size - Self.lengthFieldBytes))
        }
        dataOffset = Self.lengthFieldBytes + Int(length)
        let dataBytes = size - dataOffset
        let header = Data(bytes: file.base + Self.lengthFieldBytes, count: Int(length))
        let json: Any
        do { json = try JSONSerialization.jsonObject(with: header) } catch {
            throw HFError.invalidJSON(path: path, reason: "header: \(error.localizedDescription)")
        }
        guard let entries = json as? [String: Any] else { throw HFError.invalidJSON(path: path, reason: "header is not an object") }

        var parsed: [SafetensorsTensor] = []
        for (name, value) in entries where name != "__metadata__" {
            parsed.append(try Self.entry(name, value, path: path, dataBytes: dataBytes))
        }
        parsed.sort { ($0.offset, $0.name) < ($1.offset, $1.name) }
        for i in parsed.indices.dropFirst() where parsed[i - 1].offset + parsed[i - 1].byteCount > parsed[i].offset {
            throw HFError.overlappingTensors(path: path, first: parsed[i - 1].name, second: parsed[i].name)
        }
        tensors = parsed
        index = Dictionary(uniqueKeysWithValues: parsed.enumerated().map { ($1.name, $0) })
    }

    public func tensor(named name: String) -> SafetensorsTensor? { index[name].map { tensors[$0] } }

    /// Pointer to a tensor's bytes inside the mapping (checked at parse time).
    public func data(for t: SafetensorsTensor) -> UnsafeRawPointer { file.base + dataOffset + t.offset }

    /// Writes tensor `t` as Float into `out[0..<t.elementCount]`.
    public func readFloats(_ t: SafetensorsTensor, into out: UnsafeMutablePointer<Float>) {
        let src = data(for: t)
        switch t.dtype {
        case .f32: dequantize(type: .f32, src, count: t.elementCount, into: out)
        case .f16: dequantize(type: .f16, src, count: t.elementCount, into: out)
        case .bf16: dequantize(type: .bf16, src, count: t.elementCount, into: out)
        }
    }

    static func entry(_ name: String, _ value: Any, path: String, dataBytes: Int) throws -> SafetensorsTensor {
        func bad(_ reason: String) -> HFError { .safetensorsEntry(path: path, tensor: name, reason: reason) }
        guard let fields = value as? [String: Any] else { throw bad("entry is not an object") }
        guard let dtypeName = fields["dtype"] as? String else { throw bad("no dtype string") }
        guard let dtype = SafetensorsDType(rawValue: dtypeName) else {
            throw HFError.unsupportedDType(path: path, tensor: name, dtype: dtypeName)
        }
        guard let rawShape = fields["shape"] as? [Any], rawShape.count <= maxDimensions else {
            throw bad("shape missing or over \(maxDimensions) dimensions")
        }
        var shape: [Int] = []
        var elements = 1
        for d in rawShape {
            guard let n = integer(d), n >= 0, n <= maxElements else { throw bad("dimension \(d) is not an integer in 0...\(maxElements)") }
            let (product, overflow) = elements.multipliedReportingOverflow(by: n)
            guard !overflow, product <= maxElements else { throw bad("shape \(rawShape) has over \(maxElements) elements") }
            elements = product
            shape.append(n)
        }
        guard let offsets = fields["data_offsets"] as? [Any], offsets.count == 2,
              let begin = integer(offsets[0]), let end = integer(offsets[1]) else {
            throw bad("data_offsets is not [begin, end]")
        }
        guard begin >= 0, begin <= end, end <= dataBytes else {
            throw bad("data_offsets [\(begin), \(end)] outside the \(dataBytes)-byte data section")
        }
        guard end - begin == elements * dtype.bytes else {
            throw bad("data_offsets span \(end - begin) bytes, shape \(shape) of \(dtypeName) needs \(elements * dtype.bytes)")
        }
        return SafetensorsTensor(name: name, dtype: dtype, shape: shape, offset: begin, byteCount: end - begin)
    }

    /// JSON numbers arrive as NSNumber; bridging to Int succeeds only for whole values in range.
    static func integer(_ v: Any) -> Int? { v as? Int }
}
