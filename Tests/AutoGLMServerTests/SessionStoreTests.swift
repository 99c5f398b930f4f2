@testable import AutoGLMServer
import XCTest

final class SessionStoreTests: XCTestCase {
    func testSlotsOwnersAndLimits() throws {
        let store = SessionStore(slots: 1..<4, perUidLimit: 2)
        let a = try store.create(ownerUid: 10)
        let b = try store.create(ownerUid: 10)
        XCTAssertNotEqual(a.slot, b.slot)
        XCTAssertThrowsError(try store.create(ownerUid: 10)) { XCTAssertEqual(($0 as? APIError)?.status, 429) }
        let c = try store.create(ownerUid: 11)
        XCTAssertEqual(Set([a.slot, b.slot, c.slot]), [1, 2, 3])
        XCTAssertThrowsError(try store.create(ownerUid: 12)) { XCTAssertEqual(($0 as? APIError)?.code, "no_free_session_slot") }
        // Another uid neither sees nor deletes a session.
        XCTAssertNil(store.get(a.id, uid: 11))
        XCTAssertThrowsError(try store.delete(a.id, uid: 11)) { XCTAssertEqual(($0 as? APIError)?.status, 404) }
        try store.delete(a.id, uid: 10)
        XCTAssertEqual(try store.create(ownerUid: 12).slot, a.slot)  // the slot is free again
    }

    func testCheckOutIsExclusiveAndCheckInKeepsTokens() throws {
        let store = SessionStore(slots: 1..<2, perUidLimit: 1)
        let s = try store.create(ownerUid: 5)
        _ = try store.checkOut(s.id, uid: 5)
        XCTAssertThrowsError(try store.checkOut(s.id, uid: 5)) { XCTAssertEqual(($0 as? APIError)?.code, "session_busy") }
        store.checkIn(s.id, tokens: [1, 2, 3])
        XCTAssertEqual(store.get(s.id, uid: 5)?.tokens, [1, 2, 3])
        _ = try store.checkOut(s.id, uid: 5)
        store.checkIn(s.id, tokens: nil)  // a failed request leaves the history as it was
        XCTAssertEqual(store.get(s.id, uid: 5)?.tokens, [1, 2, 3])
        XCTAssertEqual(store.get(s.id, uid: 5)?.turns, 1)
    }
}
