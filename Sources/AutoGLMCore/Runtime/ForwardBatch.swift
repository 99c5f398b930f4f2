/// The rows of one forward pass, grouped into segments: a segment is a run of consecutive
/// positions of one sequence — a decode step is a segment of one row, a prefill chunk a
/// longer one. Every linear layer runs once over all rows (one pass over the weights for
/// every sequence in the batch); only attention looks at segments, each against its own
/// sequence's KV pages.
///
/// Allocated once (capacity from the memory plan) and refilled each step.
public final class ForwardBatch {
    public let rowCapacity: Int
    public let logitsCapacity: Int
    let tokens: UnsafeMutablePointer<Int32>          // [rows]
    let positions: UnsafeMutablePointer<Int>         // [rows]
    let segmentSequences: UnsafeMutablePointer<Int>  // [segments] KV pool slot
    let segmentFirstRows: UnsafeMutablePointer<Int>
    let segmentRowCounts: UnsafeMutablePointer<Int>
    let segmentStarts: UnsafeMutablePointer<Int>     // position of the segment's first row
    let segmentLogitsRows: UnsafeMutablePointer<Int> // row in `logits`, or −1
    public private(set) var rowCount = 0
    public private(set) var segmentCount = 0
    public private(set) var logitsCount = 0
    /// Logits of the k-th segment that wants them land in logits row firstLogitsRow + k.
    var firstLogitsRow = 0

    public init(rowCapacity: Int, logitsCapacity: Int) {
        self.rowCapacity = rowCapacity
        self.logitsCapacity = logitsCapacity
        tokens = .allocate(capacity: rowCapacity)
        positions = .allocate(capacity: rowCapacity)
        segmentSequences = .allocate(capacity: rowCapacity)
        segmentFirstRows = .allocate(capacity: rowCapacity)
        segmentRowCounts = .allocate(capacity: rowCapacity)
        segmentStarts = .allocate(capacity: rowCapacity)
        segmentLogitsRows = .allocate(capacity: rowCapacity)
    }

    deinit {
        tokens.deallocate(); positions.deallocate(); segmentSequences.deallocate(); segmentFirstRows.deallocate()
        segmentRowCounts.deallocate(); segmentStarts.deallocate(); segmentLogitsRows.deallocate()
    }

    public func removeAll() {
        rowCount = 0
        segmentCount = 0
        logitsCount = 0
        firstLogitsRow = 0
    }

    public var remainingRows: Int { rowCapacity - rowCount }

    /// Adds `tokens` of pool sequence `sequence` at positions startPosition… Returns the
    /// logits row of the segment's last token when `wantsLogits`, else −1.
    @discardableResult
    public func append(sequence: Int, tokens new: UnsafeBufferPointer<Int32>, startPosition: Int, wantsLogits: Bool) -> Int {
        precondition(new.count >= 1 && new.count <= remainingRows, "batch rows exceed the memory plan")
        precondition(!wantsLogits || logitsCount < logitsCapacity, "more logits rows than the memory plan's batch")
        let s = segmentCount
        segmentSequences[s] = sequence
        segmentFirstRows[s] = rowCount
        segmentRowCounts[s] = new.count
        segmentStarts[s] = startPosition
        for i in 0..<new.count {
            tokens[rowCount + i] = new[i]
            positions[rowCount + i] = startPosition + i
        }
        rowCount += new.count
        segmentCount += 1
        if wantsLogits {
            segmentLogitsRows[s] = firstLogitsRow + logitsCount
            logitsCount += 1
        } else {
            segmentLogitsRows[s] = -1
        }
        return segmentLogitsRows[s]
    }

    public func logitsRow(ofSegment s: Int) -> Int { segmentLogitsRows[s] }
}
