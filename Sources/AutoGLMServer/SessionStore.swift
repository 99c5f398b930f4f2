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
}

/// Sessions by id, each bound to a free KV slot, with the per-uid limit.
public final class SessionStore: Sendable {
    private struct State {
        var sessions: [String: Session] = [:]
        var freeSlots: [Int]
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

    /// The session if it exists and belongs to `uid` (others' sessions are not found).
    public func get(_ id: String, uid: UInt32) -> Session? {
        state.withLock { s in s.sessions[id].flatMap { $0.ownerUid == uid ? $0 : nil } }
    }

    /// Removes the session and returns it (its slot is free for the next one).
    @discardableResult
    public func delete(_ id: String, uid: UInt32) throws(APIError) -> Session {
        let result: Result<Session, APIError> = state.withLock { s in
            guard let session = s.sessions[id], session.ownerUid == uid else {
                return .failure(.notFound("no session \(id)", code: "session_not_found"))
            }
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
            guard var session = s.sessions[id], session.ownerUid == uid else {
                return .failure(.notFound("no session \(id)", code: "session_not_found"))
            }
            guard !session.busy else {
                return .failure(.overCapacity("session \(id) is already generating", code: "session_busy"))
            }
            session.busy = true
            s.sessions[id] = session
            return .success(session)
        }
        return try result.get()
    }

    /// Ends a request in the session: `tokens` are what its KV slot now holds (nil: the
    /// request failed, and the slot's content after the old tokens is garbage, which is
    /// harmless because positions past `tokens.count` are rewritten before being read).
    public func checkIn(_ id: String, tokens: [Int32]?) {
        state.withLock { s in
            guard var session = s.sessions[id] else { return }
            session.busy = false
            session.lastUsedAt = Date()
            if let tokens {
                session.tokens = tokens
                session.turns += 1
            }
            s.sessions[id] = session
        }
    }

    public var all: [Session] { state.withLock { Array($0.sessions.values) } }
}
