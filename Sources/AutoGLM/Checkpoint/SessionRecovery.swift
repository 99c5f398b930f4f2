import AutoGLMCore
import Foundation

/// Start-up recovery: one scan of the checkpoint directory that validates every file's
/// header and metadata against the running model (pages stay on disk), quarantines what
/// fails with a log line, and indexes the rest. Sessions are restored lazily by `resume`,
/// which reads the pages only then.
public final class SessionRecovery {
    public let store: CheckpointStore<PosixFileSystem>
    public private(set) var index: [String: DecodedCheckpoint] = [:]
    public let quarantined: [CheckpointStore<PosixFileSystem>.Quarantined]
    public let scanNanoseconds: UInt64
    private let log: (String) -> Void

    public init(store: CheckpointStore<PosixFileSystem>, identity: CheckpointIdentity,
                log: @escaping (String) -> Void) throws(CoreError) {
        self.store = store
        self.log = log
        let start = DispatchTime.now().uptimeNanoseconds
        let (valid, bad) = try store.scan(expecting: identity)
        scanNanoseconds = DispatchTime.now().uptimeNanoseconds - start
        for d in valid { index[d.checkpoint.sessionKey] = d }
        quarantined = bad
        for q in bad { log("checkpoint \(q.file) quarantined: \(q.error.message)") }
    }

    /// Picks a session up where its checkpoint left it, reading its pages now. Pages that
    /// fail their CRC get the file quarantined (through `writer`) and the session rebuilt
    /// from its tokens, which gives the same numbers (InferenceState.prefill). Nil when
    /// there is no checkpoint of `key`.
    public func resume(_ key: String, state: InferenceState, sequence: Int,
                       writer: CheckpointWriter?) throws(CoreError) -> ResumableGeneration? {
        guard let d = index[key] else { return nil }
        index[key] = nil
        writer?.noteRestored(d.checkpoint)
        do throws(CoreError) {
            let source = try store.source(forKey: key)
            let pages = try CheckpointDecoder.readPages(d, from: source)
            return try ResumableGeneration(state: state, sequence: sequence, restoring: d, pages: pages)
        } catch {
            guard case .checkpoint = error else { throw error }
            log("checkpoint \(key): pages unusable (\(error.message)); rebuilding the session from its \(d.checkpoint.tokens.count) tokens")
            if let writer { writer.quarantine(key, error: error) } else { try store.quarantine(key: key, error: error) }
            return try ResumableGeneration(state: state, sequence: sequence, restoring: d, pages: nil)
        }
    }
}
