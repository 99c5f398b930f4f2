@testable import AutoGLMServer
import XCTest

final class StopStringMatcherTests: XCTestCase {
    /// Feeds pieces and returns everything shown, and whether it stopped.
    func run(_ stops: [String], _ pieces: [String]) -> (String, Bool) {
        var matcher = StopStringMatcher(stops: stops)
        var shown = ""
        for piece in pieces {
            shown += matcher.push(piece)
            if matcher.stopped { return (shown, true) }
        }
        return (shown + matcher.flush(), false)
    }

    func testStopSplitAcrossPiecesIsNeverShown() {
        XCTAssertEqual(run(["\nUser:"], ["Hello", " there\n", "Us", "er:", " more"]).0, "Hello there")
        XCTAssertTrue(run(["\nUser:"], ["Hello", " there\n", "Us", "er:", " more"]).1)
    }

    func testPrefixThatDoesNotCompleteIsReleased() {
        var matcher = StopStringMatcher(stops: ["END"])
        XCTAssertEqual(matcher.push("abcE"), "abc")  // "E" might begin "END"
        XCTAssertEqual(matcher.push("Nx"), "ENx")    // it did not
        XCTAssertFalse(matcher.stopped)
        XCTAssertEqual(run(["END"], ["abEN"]).0, "abEN")  // flushed at the end
    }

    func testEarliestOfSeveralStopsWins() {
        XCTAssertEqual(run(["bb", "ab"], ["xxabb"]).0, "xx")
        XCTAssertEqual(run(["st", "longer stop"], ["a longer stop"]).0, "a ")  // the earliest start, not the first listed
    }

    func testNoStopsPassesEverythingAtOnce() {
        var matcher = StopStringMatcher(stops: [])
        XCTAssertEqual(matcher.push("any text"), "any text")
        XCTAssertEqual(matcher.flush(), "")
    }

    func testMultiScalarText() {
        XCTAssertEqual(run(["。"], ["中文", "也可以。", "不"]).0, "中文也可以")
    }
}
