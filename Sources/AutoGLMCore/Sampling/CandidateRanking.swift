/// In-place ranking of token ids by logit on buffers the sampler owns. The standard
/// library's sort may allocate, and the sampler must not, so the selection is a
/// binary heap written out here.
///
/// The order is total and the same on every platform: a higher logit ranks first,
/// and equal logits rank by lower token id. (NaN logits are replaced by -inf before
/// ranking, so the comparison never sees one.)
struct CandidateRanking {
    let logits: UnsafePointer<Float>

    @inline(__always)
    func ranksAbove(_ a: Int32, _ b: Int32) -> Bool {
        let la = logits[Int(a)]
        let lb = logits[Int(b)]
        return la > lb || (la == lb && a < b)
    }

    /// Keeps the `k` best-ranked ids of `ids[0..<count]` in `ids[0..<k]`, best first.
    /// O(count · log k): a heap of the k best seen so far with the worst at its root.
    func selectBest(_ k: Int, of ids: UnsafeMutablePointer<Int32>, count: Int) {
        precondition(k >= 1 && k <= count)
        for start in stride(from: k / 2 - 1, through: 0, by: -1) {
            siftDown(ids, count: k, from: start, bestAtRoot: false)
        }
        for i in k..<count where ranksAbove(ids[i], ids[0]) {
            ids[0] = ids[i]
            siftDown(ids, count: k, from: 0, bestAtRoot: false)
        }
        // Heap sort: moving the worst to the back each time leaves ids[0..<k] best first.
        var end = k - 1
        while end > 0 {
            ids.swapAt(0, end)
            siftDown(ids, count: end, from: 0, bestAtRoot: false)
            end -= 1
        }
    }

    /// Moves best-ranked ids of `ids[0..<count]` to the front, best first, one at a
    /// time, until `shouldStop(id)` returns true for the one just taken (that one is
    /// kept). Returns how many were taken. O(count + taken · log count), so a nucleus
    /// of a few tokens out of a large vocabulary costs far less than a full sort.
    func takeBest(from ids: UnsafeMutablePointer<Int32>, count: Int, until shouldStop: (Int32) -> Bool) -> Int {
        precondition(count >= 1)
        for start in stride(from: count / 2 - 1, through: 0, by: -1) {
            siftDown(ids, count: count, from: start, bestAtRoot: true)
        }
        // Each pop swaps the root to the end of the shrinking heap, so the taken ids
        // collect at the back, best last.
        var heapCount = count
        while heapCount > 0 {
            heapCount -= 1
            ids.swapAt(0, heapCount)
            if shouldStop(ids[heapCount]) { break }
            siftDown(ids, count: heapCount, from: 0, bestAtRoot: true)
        }
        let taken = count - heapCount
        // Best first, then slide to the front; the source index is never below the
        // destination, so a forward copy is safe.
        var low = heapCount
        var high = count - 1
        while low < high {
            ids.swapAt(low, high)
            low += 1
            high -= 1
        }
        for j in 0..<taken { ids[j] = ids[heapCount + j] }
        return taken
    }

    /// Restores the heap property below `from`: with `bestAtRoot` a parent ranks above
    /// its children, otherwise below them.
    private func siftDown(_ heap: UnsafeMutablePointer<Int32>, count: Int, from start: Int, bestAtRoot: Bool) {
        var parent = start
        while true {
            let left = 2 * parent + 1
            if left >= count { return }
            var child = left
            let right = left + 1
            if right < count && comesFirst(heap[right], heap[left], bestAtRoot) { child = right }
            if !comesFirst(heap[child], heap[parent], bestAtRoot) { return }
            heap.swapAt(parent, child)
            parent = child
        }
    }

    @inline(__always)
    private func comesFirst(_ a: Int32, _ b: Int32, _ bestAtRoot: Bool) -> Bool {
        bestAtRoot ? ranksAbove(a, b) : ranksAbove(b, a)
    }
}

extension UnsafeMutablePointer where Pointee == Int32 {
    @inline(__always)
    fileprivate func swapAt(_ i: Int, _ j: Int) {
        let t = self[i]
        self[i] = self[j]
        self[j] = t
    }
}
