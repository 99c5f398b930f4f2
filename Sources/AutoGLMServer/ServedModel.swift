import AutoGLM
import Foundation

/// The loaded model as the API presents it.
public final class ServedModel: @unchecked Sendable {  // immutable after init; Tokenizer is read-only
    public let id: String
    public let path: String
    public let tokenizer: Tokenizer
    public let template: ChatTemplate
    public let contextLength: Int
    public let vocabularySize: Int
    public let created = Int(Date().timeIntervalSince1970)

    public init(path: String, tokenizer: Tokenizer, template: ChatTemplate, contextLength: Int, vocabularySize: Int) {
        self.path = path
        id = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        self.tokenizer = tokenizer
        self.template = template
        self.contextLength = contextLength
        self.vocabularySize = vocabularySize
    }

    /// Names a client may use for this model in "model".
    func answersTo(_ name: String) -> Bool { name == id || name == "default" || name == path }
}

/// Who is on the other end of a connection (SO_PEERCRED; the daemon's own ids on TCP).
public struct PeerIdentity: Sendable, Equatable {
    public var pid: Int32
    public var uid: UInt32
    public var gid: UInt32
}

/// The daemon's life cycle as /health reports it.
public enum ServerPhase: String, Sendable {
    case starting, ready, draining
}
