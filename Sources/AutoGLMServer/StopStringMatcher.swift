/// Finds OpenAI "stop" strings in streamed text. Text that might be the start of a stop
/// string is held back until the next piece settles it, so a client never sees part of
/// a stop string; the stop string itself is never returned.
struct StopStringMatcher {
    let stops: [[Unicode.Scalar]]
    private var pending: [Unicode.Scalar] = []
    private(set) var stopped = false

    init(stops: [String]) {
        self.stops = stops.filter { !$0.isEmpty }.map { Array($0.unicodeScalars) }
    }

    /// Adds generated text; returns what may be shown now. After a stop string is seen,
    /// `stopped` is true and the text before it is the last thing returned.
    mutating func push(_ text: String) -> String {
        guard !stopped else { return "" }
        pending.append(contentsOf: text.unicodeScalars)
        if let cut = earliestStop() {
            stopped = true
            let shown = String(String.UnicodeScalarView(pending[..<cut]))
            pending.removeAll()
            return shown
        }
        let keep = heldBackCount()
        let shown = String(String.UnicodeScalarView(pending[..<(pending.count - keep)]))
        pending.removeFirst(pending.count - keep)
        return shown
    }

    /// The text still held back, for the end of a generation that stopped otherwise.
    mutating func flush() -> String {
        defer { pending.removeAll() }
        return stopped ? "" : String(String.UnicodeScalarView(pending))
    }

    private func earliestStop() -> Int? {
        var best: Int?
        for stop in stops where stop.count <= pending.count {
            for start in 0...(pending.count - stop.count) where pending[start..<(start + stop.count)].elementsEqual(stop) {
                if best.map({ start < $0 }) ?? true { best = start }
                break
            }
        }
        return best
    }

    /// Length of the longest tail of `pending` that some stop string starts with.
    private func heldBackCount() -> Int {
        var keep = 0
        for stop in stops {
            let longest = min(stop.count - 1, pending.count)
            if longest <= keep { continue }
            for length in stride(from: longest, to: keep, by: -1)
            where pending[(pending.count - length)...].elementsEqual(stop[..<length]) {
                keep = length
                break
            }
        }
        return keep
    }
}
