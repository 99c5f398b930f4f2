import CAutoGLMSys

/// The one error type of AutoGLMCore. Embedded Swift has no `any Error`, so every
/// throwing function in Core says `throws(CoreError)`. Each subsystem owns its own
/// case enum (in its own file); this umbrella only routes them.
public enum CoreError: Error, Equatable {
    case io(IOError)
    case gguf(GGUFError)
    case model(ModelError)
    case tokenizer(TokenizerError)
    case memory(MemoryError)
    case checkpoint(CheckpointError)
    /// A caller passed a value outside what the runtime supports.
    case invalidArgument(name: String, value: String, reason: String)

    /// One line for a person: what went wrong, with the offending value and the limit.
    public var message: String {
        switch self {
        case .io(let e): return e.message
        case .gguf(let e): return "GGUF: " + e.message
        case .model(let e): return "model: " + e.message
        case .tokenizer(let e): return "tokenizer: " + e.message
        case .memory(let e): return "memory: " + e.message
        case .checkpoint(let e): return "checkpoint: " + e.message
        case .invalidArgument(let name, let value, let reason):
            return "invalid \(name) '\(value)': \(reason)"
        }
    }
}

public enum IOError: Error, Equatable {
    case openFailed(path: String, errno: Int32)
    case mapFailed(path: String, errno: Int32, bytes: Int)
    case statFailed(path: String, errno: Int32)
    case createFailed(path: String, errno: Int32)
    case writeFailed(path: String, errno: Int32)
    case syncFailed(path: String, errno: Int32)
    case renameFailed(from: String, to: String, errno: Int32)
    case readFailed(path: String, errno: Int32)
    case removeFailed(path: String, errno: Int32)

    public var message: String {
        switch self {
        case .openFailed(let path, let e): return "cannot open \(quoted(path)): \(errnoText(e))"
        case .mapFailed(let path, let e, let bytes): return "cannot map \(bytes) bytes of \(quoted(path)): \(errnoText(e))"
        case .statFailed(let path, let e): return "cannot stat \(quoted(path)): \(errnoText(e))"
        case .createFailed(let path, let e): return "cannot create \(quoted(path)): \(errnoText(e))"
        case .writeFailed(let path, let e): return "cannot write \(quoted(path)): \(errnoText(e))"
        case .syncFailed(let path, let e): return "cannot fsync \(quoted(path)): \(errnoText(e))"
        case .renameFailed(let from, let to, let e): return "cannot rename \(quoted(from)) to \(quoted(to)): \(errnoText(e))"
        case .readFailed(let path, let e): return "cannot read \(quoted(path)): \(errnoText(e))"
        case .removeFailed(let path, let e): return "cannot remove \(quoted(path)): \(errnoText(e))"
        }
    }
}

/// "No such file or directory (errno 2)": the C library's words for a person, the
/// number for a search.
public func errnoText(_ error: Int32) -> String {
    var buffer = [CChar](repeating: 0, count: errnoTextBytes)
    aglm_strerror(error, &buffer, buffer.count)
    let text = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
    return String(decoding: text, as: UTF8.self) + " (errno \(error))"
}

/// glibc's longest message is under 64 bytes.
let errnoTextBytes = 128
