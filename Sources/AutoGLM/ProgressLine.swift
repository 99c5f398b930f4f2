import Foundation

/// Progress of a long command on stderr. On a terminal: one line redrawn in place
/// (carriage return) with a bar. Otherwise (a log, a pipe, CI) no per-step lines at all,
/// only one summary line at `finish()`, so logs stay readable.
public final class ProgressLine {
    public static let barWidth = 30

    let label: String
    let isTerminal: Bool
    let write: (String) -> Void
    let started = Date()
    private var last: (done: Int, total: Int, detail: String)?

    public init(label: String, isTerminal: Bool = isatty(STDERR_FILENO) != 0,
                write: @escaping (String) -> Void = { FileHandle.standardError.write(Data($0.utf8)) }) {
        self.label = label
        self.isTerminal = isTerminal
        self.write = write
    }

    public func show(_ done: Int, of total: Int, _ detail: String = "") {
        last = (done, total, detail)
        guard isTerminal else { return }
        let filled = Self.barWidth * min(done, total) / max(1, total)
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: Self.barWidth - filled)
        write("\r\u{1B}[K\(label) [\(bar)] \(done)/\(total)  \(seconds())s" + (detail.isEmpty ? "" : "  " + detail))
    }

    /// Ends the redrawn line on a terminal; elsewhere prints the one summary line.
    public func finish() {
        guard let last else { return }
        if isTerminal {
            write("\n")
        } else {
            write("\(label): \(last.done)/\(last.total) in \(seconds())s\n")
        }
    }

    private func seconds() -> Int { Int(Date().timeIntervalSince(started)) }
}
