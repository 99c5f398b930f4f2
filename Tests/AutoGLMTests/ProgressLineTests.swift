import Testing
@testable import AutoGLM

@Suite struct ProgressLineTests {
    final class Captured { var text = "" }

    @Test func withoutATerminalOnlyOneSummaryLine() {
        let out = Captured()
        let p = ProgressLine(label: "quantize", isTerminal: false) { out.text += $0 }
        for i in 1...50 { p.show(i, of: 50, "tensor \(i)") }
        #expect(out.text.isEmpty)
        p.finish()
        #expect(out.text.split(separator: "\n").count == 1)
        #expect(out.text.hasPrefix("quantize: 50/50 in "))
        #expect(!out.text.contains("\r") && !out.text.contains("\u{1B}"))
    }

    @Test func onATerminalOneLineRedrawnInPlace() {
        let out = Captured()
        let p = ProgressLine(label: "calibrate", isTerminal: true) { out.text += $0 }
        p.show(1, of: 4)
        p.show(4, of: 4, "done")
        p.finish()
        #expect(out.text.components(separatedBy: "\r\u{1B}[K").count == 3)
        #expect(out.text.contains("[" + String(repeating: "#", count: ProgressLine.barWidth) + "] 4/4"))
        #expect(out.text.hasSuffix("done\n"))
    }

    @Test func nothingShownNothingPrinted() {
        let out = Captured()
        ProgressLine(label: "x", isTerminal: false) { out.text += $0 }.finish()
        #expect(out.text.isEmpty)
    }
}
