/// The rows of one forward pass, grouped into segments: a segment is a run of consecutive
/// positions of one sequence — a decode step is a segment of one row, a prefill chunk a
/// longer one. Every linear layer runs once over all rows (one pass over the weights for
/// every sequence in the batch); only attention looks at segments, each against its own
/// sequence's KV pages.
///
/// Allocated once (capacity from the memory plan) and refilled each step.
public final class ForwardBatch {
    /// Which rows of a segment get logits: none (a prefill chunk that is not the last),
    /// the last (generation), or every row (perplexity, which scores each position).
    public enum Logits {
        case none
        case lastRow
        case everyRow
    }

    public let rowCapacity: Int
    public let logitsCapacity: Int
    let tokens: UnsafeMutablePointer<Int32>          // [rows]
    let positions: UnsafeMutablePointer<Int>         // [rows]
    let segmentSequences: UnsafeMutablePointer<Int>  // [segments] KV pool slot
    let segmentFirstRows: UnsafeMutablePointer<Int>
    let segmentRowCounts: UnsafeMutablePointer<Int>
    let segmentStarts: UnsafeMutablePointer<Int>     // position of the segment's first row
    let segmentLogitsRows: UnsafeMutablePointer<Int> // row in `logits` of its first logits row, or −1
    let segmentLogitsEveryRow: UnsafeMutablePointer<Bool> // every row gets logits, not just the last
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
        segmentLogitsEveryRow = .allocate(capacity: rowCapacity)
    }

    deinit {
        tokens.deallocate(); positions.deallocate(); segmentSequences.deallocate(); segmentFirstRows.deallocate()
        segmentRowCounts.deallocate(); segmentStarts.deallocate(); segmentLogitsRows.deallocate()
        segmentLogitsEveryRow.deallocate()
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
        append(sequence: sequence, tokens: new, startPosition: startPosition, logits: wantsLogits ? .lastRow : .none)
    }

    /// Adds `tokens` of pool sequence `sequence` at positions startPosition… Returns the
    /// logits row of the segment's first logits (its last token for `.lastRow`, its first
    /// for `.everyRow`, whose rows follow in order), or −1 for `.none`.
    @discardableResult
    public func append(sequence: Int, tokens new: UnsafeBufferPointer<Int32>, startPosition: Int, logits: Logits) -> Int {
        precondition(new.count >= 1 && new.count <= remainingRows, "batch rows exceed the memory plan")
        let logitsRows = logits == .everyRow ? new.count : logits == .lastRow ? 1 : 0
        precondition(logitsCount + logitsRows <= logitsCapacity, "more logits rows than the memory plan's batch")
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
        segmentLogitsEveryRow[s] = logits == .everyRow
        segmentLogitsRows[s] = logitsRows > 0 ? firstLogitsRow + logitsCount : -1
        logitsCount += logitsRows
        return segmentLogitsRows[s]
    }

    public func logitsRow(ofSegment s: Int) -> Int { segmentLogitsRows[s] }
}
