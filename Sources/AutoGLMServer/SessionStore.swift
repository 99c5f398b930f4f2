import AutoGLM
import Foundation
import Synchronization

/// A conversation whose tokens stay in one KV slot between requests, so the next chat
/// turn prefills only its new messages. Issue 7 (checkpoints) saves and restores these.
public struct Session: Sendable, Equatable {
    public let id: String
    public let ownerUid: UInt32
    /// KV slot of InferenceState (1…): the session's K/V live there.
    public let slot: Int
    public let createdAt: Date
    public var lastUsedAt: Date
    /// The tokens whose K/V are in the slot, in order.
    public var tokens: [Int32]
    /// A request is generating in this session now.
    public var busy = false
    public var turns = 0
    /// The session's newest checkpoint: its last (or running, or interrupted) request's
    /// tokens and sampler state. A client that lost its stream is served from it (resume).
    public var resumePoint: ResumePoint?
}

/// A session's checkpoint as the API uses it. A final class so that Session stays a
/// cheap value; every field is immutable.
public final class ResumePoint: @unchecked Sendable, Equatable {  // lets of Core value types
    public let checkpoint: SessionCheckpoint
    /// The checkpoint file when its KV pages are still on disk only (a session recovered
    /// at start-up): they are read when the session is first used.
    public let onDisk: DecodedCheckpoint?

    public init(checkpoint: SessionCheckpoint, onDisk: DecodedCheckpoint?) {
        self.checkpoint = checkpoint
        self.onDisk = onDisk
    }

    /// The request ended its turn (or can generate nothing more): nothing to resume.
    public var isFinished: Bool {
        checkpoint.generation.finished || checkpoint.generation.generatedCount >= checkpoint.generation.maxNewTokens
    }
    public var generated: ArraySlice<Int32> { checkpoint.tokens[checkpoint.generation.promptCount...] }

    public static func == (a: ResumePoint, b: ResumePoint) -> Bool { a === b }
}

/// Sessions by id, each bound to a free KV slot, with the per-uid limit.
public final class SessionStore: Sendable {
    private struct State {
        var sessions: [String: Session] = [:]
        var freeSlots: [Int]
        /// Sessions whose checkpoint was quarantined at start-up, with the reason.
        var lost: [String: (ownerUid: UInt32, reason: String)] = [:]
    }
    private let state: Mutex<State>
    public let slotCount: Int
    let perUidLimit: Int

    /// `slots`: the KV slots sessions may use (slot 0 stays for requests without one).
    public init(slots: Range<Int>, perUidLimit: Int) {
        state = Mutex(State(freeSlots: Array(slots).reversed()))
        slotCount = slots.count
        self.perUidLimit = perUidLimit
    }

    public func create(ownerUid: UInt32) throws(APIError) -> Session {
        let result: Result<Session, APIError> = state.withLock { s in
            let owned = s.sessions.values.filter { $0.ownerUid == ownerUid }.count
            guard owned < perUidLimit else {
                return .failure(.overCapacity("uid \(ownerUid) already holds \(owned) sessions (limit \(perUidLimit))", code: "too_many_sessions"))
            }
            guard let slot = s.freeSlots.popLast() else {
                return .failure(.overCapacity("all \(slotCount) session slots are in use", code: "no_free_session_slot"))
            }
            let now = Date()
            let session = Session(id: "sess-" + UUID().uuidString.lowercased(), ownerUid: ownerUid, slot: slot,
                                  createdAt: now, lastUsedAt: now, tokens: [])
            s.sessions[session.id] = session
            return .success(session)
        }
        return try result.get()
    }

    /// Puts back a session recovered from its checkpoint (same id and owner).
    public func restore(id: String, ownerUid: UInt32, tokens: [Int32], savedAt: Date, resumePoint: ResumePoint) throws(APIError) {
        let result: Result<Void, APIError> = state.withLock { s in
            guard s.sessions[id] == nil else { return .failure(.invalidRequest("session \(id) exists already")) }
            guard let slot = s.freeSlots.popLast() else {
                return .failure(.overCapacity("all \(slotCount) session slots are in use", code: "no_free_session_slot"))
            }
            s.sessions[id] = Session(id: id, ownerUid: ownerUid, slot: slot, createdAt: savedAt, lastUsedAt: savedAt,
                                     tokens: tokens, resumePoint: resumePoint)
            return .success(())
        }
        try result.get()
    }

    /// A session whose checkpoint could not be used: requests naming it get 410.
    public func markLost(id: String, ownerUid: UInt32, reason: String) {
        state.withLock { $0.lost[id] = (ownerUid, reason) }
    }

    /// 410 for a lost session of `uid`, else 404.
    public func notFound(_ id: String, uid: UInt32) -> APIError { state.withLock { Self.missing($0, id, uid: uid) } }

    private static func missing(_ s: State, _ id: String, uid: UInt32) -> APIError {
        if let lost = s.lost[id].flatMap({ $0.ownerUid == uid ? $0.reason : nil }) {
            return APIError(status: 410, type: "invalid_request_error", code: "session_lost",
                            message: "session \(id) was lost in a restart: its checkpoint was unusable (\(lost)) and quarantined")
        }
        return .notFound("no session \(id)", code: "session_not_found")
    }

    /// The newest checkpoint of a session's running request (engine thread, at each capture).
    public func noteCheckpoint(_ id: String, _ point: ResumePoint) {
        state.withLock { s in s.sessions[id]?.resumePoint = point }
    }

    /// The session if it exists and belongs to `uid` (others' sessions are not found).
    public func get(_ id: String, uid: UInt32) -> Session? {
        state.withLock { s in s.sessions[id].flatMap { $0.ownerUid == uid ? $0 : nil } }
    }

    /// Removes the session and returns it (its slot is free for the next one).
    @discardableResult
    public func delete(_ id: String, uid: UInt32) throws(APIError) -> Session {
        let result: Result<Session, APIError> = state.withLock { s in
            guard let session = s.sessions[id], session.ownerUid == uid else { return .failure(Self.missing(s, id, uid: uid)) }
            guard !session.busy else { return .failure(.overCapacity("session \(id) is generating; delete it after", code: "session_busy")) }
            s.sessions[id] = nil
            s.freeSlots.append(session.slot)
            return .success(session)
        }
        return try result.get()
    }

    /// Marks the session busy for one request and returns it.
    public func checkOut(_ id: String, uid: UInt32) throws(APIError) -> Session {
        let result: Result<Session, APIError> = state.withLock { s in
            guard var session = s.sessions[id], session.ownerUid == uid else { return .failure(Self.missing(s, id, uid: uid)) }
            guard !session.busy else {
                return .failure(.overCapacity("session \(id) is already generating", code: "session_busy"))
            }
            session.busy = true
            // Pages still on disk are read by this request; later ones find them in the pool.
            if let point = session.resumePoint, point.onDisk != nil {
                s.sessions[id]?.resumePoint = ResumePoint(checkpoint: point.checkpoint, onDisk: nil)
            }
            s.sessions[id]?.busy = true
            return .success(session)
        }
        return try result.get()
    }

    /// Ends a request in the session: `tokens` are what its KV slot now holds (nil: the
    /// request failed, and the slot's content after the old tokens is garbage, which is
    /// harmless because positions past `tokens.count` are rewritten before being read).
    public func checkIn(_ id: String, tokens: [Int32]?, endsTurn: Bool = true) {
        state.withLock { s in
            guard var session = s.sessions[id] else { return }
            session.busy = false
            session.lastUsedAt = Date()
            if let tokens {
                session.tokens = tokens
                if endsTurn { session.turns += 1 }
            }
            s.sessions[id] = session
        }
    }

    public var all: [Session] { state.withLock { Array($0.sessions.values) } }
}
