/// Why a checkpoint file was refused. Every case names the offending value and what was
/// expected, so the quarantine log line says what to look at.
public enum CheckpointError: Error, Equatable {
    case badMagic
    case unsupportedVersion(found: UInt32, supported: UInt32)
    /// The file ends before `what` does.
    case truncated(what: String, needed: Int, available: Int)
    /// A section's bytes do not match its CRC32C.
    case damaged(section: String, stored: UInt32, computed: UInt32)
    case unexpectedSection(found: UInt32, expected: String)
    /// A field read from the file is outside what this build accepts.
    case invalidField(name: String, value: String, limit: String)
    /// Written by another model, tokenizer, backend or KV layout than the one running.
    case mismatch(what: String, checkpoint: String, running: String)
    case trailingBytes(count: Int)

    /// Short label for the quarantine metric and file name.
    public var kind: String {
        switch self {
        case .badMagic, .damaged, .unexpectedSection, .trailingBytes: return "damaged"
        case .truncated: return "truncated"
        case .unsupportedVersion: return "version"
        case .invalidField: return "invalid"
        case .mismatch: return "mismatch"
        }
    }

    public var message: String {
        switch self {
        case .badMagic: return "not a checkpoint (bad magic)"
        case .unsupportedVersion(let found, let supported):
            return "format version \(found) is not supported (this build reads version \(supported))"
        case .truncated(let what, let needed, let available):
            return "truncated in \(what): needs \(needed) bytes, \(available) left"
        case .damaged(let section, let stored, let computed):
            return "section \(section) is damaged: CRC32C \(hex(stored)) stored, \(hex(computed)) computed"
        case .unexpectedSection(let found, let expected):
            return "section tag \(hex(found)) where \(expected) was expected"
        case .invalidField(let name, let value, let limit): return "\(name) = \(value) is invalid (\(limit))"
        case .mismatch(let what, let checkpoint, let running):
            return "written for another \(what): \(checkpoint) in the file, \(running) running"
        case .trailingBytes(let count): return "\(count) unexpected bytes after the last section"
        }
    }
}

private func hex(_ v: UInt32) -> String { "0x" + hex(UInt64(v)) }
