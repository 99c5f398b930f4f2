@testable import AutoGLMServer
import XCTest

final class JSONFieldsTests: XCTestCase {
    func fields(_ json: String) throws -> JSONFields { try JSONFields(body: Array(json.utf8)) }

    func code(_ body: () throws -> Void) -> String? {
        do { try body() } catch let error as APIError { return error.code } catch { return "other" }
        return nil
    }

    func testTypesAreStrict() throws {
        let f = try fields(#"{"n": 3, "f": 2.5, "b": true, "s": "x", "big": 1e300, "one": 1.0}"#)
        XCTAssertEqual(try f.int("n", in: 0...10), 3)
        XCTAssertEqual(try f.int("one", in: 0...10), 1)
        XCTAssertEqual(try f.bool("b"), true)
        XCTAssertEqual(try f.string("s"), "x")
        XCTAssertNil(try f.int("missing", in: 0...1))
        XCTAssertEqual(code { _ = try f.int("f", in: 0...10) }, "invalid_request")
        XCTAssertEqual(code { _ = try f.int("big", in: 0...10) }, "invalid_request")
        XCTAssertEqual(code { _ = try f.int("b", in: 0...10) }, "invalid_request")   // true is not 1
        XCTAssertEqual(code { _ = try f.bool("n") }, "invalid_request")              // 3 is not true
        XCTAssertEqual(code { _ = try f.string("n") }, "invalid_request")
        XCTAssertEqual(code { _ = try f.int("n", in: 5...10) }, "invalid_request")
        XCTAssertEqual(code { _ = try f.double("big", in: 0...2) }, "invalid_request")
    }

    func testBodiesThatAreNotJSONObjects() {
        XCTAssertEqual(code { _ = try self.fields("") }, "invalid_request")
        XCTAssertEqual(code { _ = try self.fields("[1]") }, "invalid_json")
        XCTAssertEqual(code { _ = try self.fields("{") }, "invalid_json")
        XCTAssertEqual(code { _ = try JSONFields(body: [0x7B, 0x22, 0xFF, 0x22, 0x3A, 0x31, 0x7D]) }, "invalid_utf8")
    }
}
