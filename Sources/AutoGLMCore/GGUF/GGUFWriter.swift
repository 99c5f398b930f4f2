import CAutoGLMSys

/// A tensor to be written: its place in the data section is computed by the writer.
public struct GGUFTensorDescriptor: Equatable {
    public let name: String
    /// ggml order: shape[0] is the row length.
    public let shape: [Int]
    public let type: TensorType

    public init(name: String, shape: [Int], type: TensorType) {
        self.name = name
        self.shape = shape
        self.type = type
    }
}

/// Writes a GGUF v3 file: header, metadata in the given order, tensor infos, then the
/// tensors' bytes streamed in order, each aligned to `general.alignment`. The file is
/// built as `OUT.tmp`, fsynced and renamed to OUT by `finish()`, so a crash never
/// leaves a half-written file under the final name; a writer dropped unfinished
/// removes its temporary file.
public final class GGUFWriter {
    public static let version: UInt32 = 3
    /// Small writes are gathered up to this size before a write(2).
    public static let bufferBytes = 1 << 20
    public static let temporarySuffix = ".tmp"

    public let path: String
    public let temporaryPath: String
    public let alignment: Int
    /// The planned tensors, offsets relative to the data section.
    public let tensors: [GGUFTensorInfo]
    /// Total file size once finished.
    public let fileBytes: Int

    private var fd: Int32
    private var buffer: [UInt8] = []
    private var current = 0
    private var writtenOfCurrent = 0
    private var finished = false

    public init(path: String, metadata: [GGUFMetadataEntry], tensors descriptors: [GGUFTensorDescriptor]) throws(CoreError) {
        var encoder = GGUFValueEncoder()
        encoder.u32(GGUFFile.magic)
        encoder.u32(GGUFWriter.version)
        encoder.u64(UInt64(descriptors.count))
        encoder.u64(UInt64(metadata.count))
        var seen: [String: GGUFValue] = [:]
        for entry in metadata {
            guard seen[entry.key] == nil else { throw .gguf(.duplicateKey(key: entry.key)) }
            seen[entry.key] = entry.value
            encoder.string(entry.key)
            encoder.u32(entry.type.rawValue)
            try encoder.value(entry.value, as: entry.type, key: entry.key)
        }
        let align = try GGUFFile.alignment(in: seen)

        var infos: [GGUFTensorInfo] = []
        var names: [String: Int] = [:]
        var offset = 0
        for d in descriptors {
            guard names[d.name] == nil else { throw .gguf(.duplicateTensor(name: d.name)) }
            names[d.name] = infos.count
            let bytes = try GGUFWriter.byteCount(of: d)
            infos.append(GGUFTensorInfo(name: d.name, shape: d.shape, type: d.type, offset: offset, byteCount: bytes))
            encoder.string(d.name)
            encoder.u32(UInt32(d.shape.count))
            for dim in d.shape { encoder.u64(UInt64(dim)) }
            encoder.u32(d.type.rawValue)
            encoder.u64(UInt64(offset))
            offset = GGUFWriter.aligned(offset + bytes, align)
        }
        while encoder.bytes.count % align != 0 { encoder.u8(0) }

        self.path = path
        self.temporaryPath = path + GGUFWriter.temporarySuffix
        self.alignment = align
        self.tensors = infos
        self.fileBytes = encoder.bytes.count + offset
        let created = temporaryPath.withCString { aglm_create_file($0) }
        guard created >= 0 else { throw .io(.createFailed(path: temporaryPath, errno: -created)) }
        fd = created
        buffer.reserveCapacity(GGUFWriter.bufferBytes)
        // Only now is there a file to remove on failure: a failed header write is cleaned up by deinit.
        buffer.append(contentsOf: encoder.bytes)
        if buffer.count >= GGUFWriter.bufferBytes { try flush() }
    }

    /// The tensor whose bytes `append` expects next, or nil when all are written.
    public var nextTensor: GGUFTensorInfo? { current < tensors.count ? tensors[current] : nil }

    /// Appends bytes of the current tensor (one call or several). When a tensor is
    /// complete the padding to the next one is written and the next tensor begins.
    public func append(_ bytes: UnsafeRawBufferPointer) throws(CoreError) {
        guard let tensor = nextTensor else {
            throw .invalidArgument(name: "tensor data", value: "\(bytes.count) bytes", reason: "all \(tensors.count) tensors are already written")
        }
        let left = tensor.byteCount - writtenOfCurrent
        guard bytes.count <= left else {
            throw .invalidArgument(name: "data of tensor \(quoted(tensor.name))", value: "\(bytes.count) bytes",
                                   reason: "only \(left) of its \(tensor.byteCount) bytes remain")
        }
        try write(bytes)
        writtenOfCurrent += bytes.count
        if writtenOfCurrent == tensor.byteCount {
            let padding = GGUFWriter.aligned(tensor.byteCount, alignment) - tensor.byteCount
            for _ in 0..<padding { buffer.append(0) }
            current += 1
            writtenOfCurrent = 0
        }
    }

    /// Flushes, fsyncs, and renames the temporary file to `path`; then fsyncs the
    /// directory so the rename itself survives a power cut.
    public func finish() throws(CoreError) {
        guard current == tensors.count else {
            throw .invalidArgument(name: "GGUF file '\(path)'", value: "\(current) of \(tensors.count) tensors",
                                   reason: "finished before every tensor was written")
        }
        try flush()
        let synced = aglm_fsync(fd)
        guard synced == 0 else { throw .io(.syncFailed(path: temporaryPath, errno: -synced)) }
        let closed = aglm_close(fd)
        fd = -1
        guard closed == 0 else { throw .io(.writeFailed(path: temporaryPath, errno: -closed)) }
        let renamed = temporaryPath.withCString { from in path.withCString { to in aglm_rename(from, to) } }
        guard renamed == 0 else { throw .io(.renameFailed(from: temporaryPath, to: path, errno: -renamed)) }
        finished = true
        GGUFWriter.syncDirectory(of: path)
    }

    deinit {
        if fd >= 0 { _ = aglm_close(fd) }
        if !finished { _ = temporaryPath.withCString { aglm_unlink($0) } }
    }

    // MARK: helpers

    private func write(_ bytes: UnsafeRawBufferPointer) throws(CoreError) {
        if buffer.count + bytes.count > GGUFWriter.bufferBytes { try flush() }
        if bytes.count >= GGUFWriter.bufferBytes {
            try writeAll(bytes)
        } else {
            buffer.append(contentsOf: bytes)
        }
    }

    private func flush() throws(CoreError) {
        guard !buffer.isEmpty else { return }
        let descriptor = fd
        let result = buffer.withUnsafeBytes { aglm_write_all(descriptor, $0.baseAddress, $0.count) }
        guard result == 0 else { throw .io(.writeFailed(path: temporaryPath, errno: -result)) }
        buffer.removeAll(keepingCapacity: true)
    }

    private func writeAll(_ bytes: UnsafeRawBufferPointer) throws(CoreError) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        let result = aglm_write_all(fd, base, bytes.count)
        guard result == 0 else { throw .io(.writeFailed(path: temporaryPath, errno: -result)) }
    }

    static func aligned(_ n: Int, _ alignment: Int) -> Int { (n + alignment - 1) / alignment * alignment }

    /// Checks a descriptor against the same limits the reader enforces, so every file
    /// written here reads back.
    static func byteCount(of d: GGUFTensorDescriptor) throws(CoreError) -> Int {
        guard d.name.utf8.count <= Int(GGUFLimits.maxTensorNameBytes) else {
            throw .gguf(.countTooLarge(field: "tensor \(quoted(d.name)) name length", value: UInt64(d.name.utf8.count),
                                       limit: GGUFLimits.maxTensorNameBytes))
        }
        guard d.shape.count >= 1, d.shape.count <= GGUFLimits.maxDimensions else {
            throw .gguf(.tooManyDimensions(tensor: d.name, dimensions: UInt32(d.shape.count), limit: GGUFLimits.maxDimensions))
        }
        var elements = 1
        for (i, dim) in d.shape.enumerated() {
            guard dim >= 1, UInt64(dim) <= GGUFLimits.maxDimension else {
                throw .gguf(.zeroOrHugeDimension(tensor: d.name, index: i, value: UInt64(max(0, dim))))
            }
            let (product, overflow) = elements.multipliedReportingOverflow(by: dim)
            guard !overflow else { throw .gguf(.shapeOverflow(tensor: d.name)) }
            elements = product
        }
        guard d.shape[0] % d.type.blockSize == 0 else {
            throw .gguf(.rowNotBlockAligned(tensor: d.name, rowElements: d.shape[0], blockSize: d.type.blockSize))
        }
        guard let rowBytes = d.type.rowBytes(elements: d.shape[0]) else { throw .gguf(.shapeOverflow(tensor: d.name)) }
        let (bytes, overflow) = rowBytes.multipliedReportingOverflow(by: elements / d.shape[0])
        guard !overflow else { throw .gguf(.shapeOverflow(tensor: d.name)) }
        return bytes
    }

    /// Best effort: some file systems refuse fsync on a directory, and the file's own
    /// data is already durable by then.
    static func syncDirectory(of path: String) {
        var directory = "."
        if let slash = path.utf8.lastIndex(of: UInt8(ascii: "/")) {
            directory = slash == path.utf8.startIndex ? "/" : String(path[..<slash])
        }
        let dirFd = directory.withCString { aglm_open_readonly($0) }
        guard dirFd >= 0 else { return }
        _ = aglm_fsync(dirFd)
        _ = aglm_close(dirFd)
    }
}
