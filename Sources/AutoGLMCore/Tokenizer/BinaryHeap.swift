/// A binary min-heap kept in a caller-owned array, so the BPE merge loops can reuse one
/// buffer across calls. `precedes(a, b)` is true when a must come out before b.
enum BinaryHeap {
    static func push<T>(_ h: inout [T], _ v: T, _ precedes: (T, T) -> Bool) {
        h.append(v)
        var i = h.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            if !precedes(v, h[parent]) { break }
            h[i] = h[parent]
            i = parent
        }
        h[i] = v
    }

    static func pop<T>(_ h: inout [T], _ precedes: (T, T) -> Bool) -> T? {
        guard let last = h.popLast() else { return nil }
        if h.isEmpty { return last }
        let top = h[0]
        var i = 0
        let n = h.count
        while true {
            let l = 2 * i + 1
            if l >= n { break }
            var c = l
            if l + 1 < n && precedes(h[l + 1], h[l]) { c = l + 1 }
            if !precedes(h[c], last) { break }
            h[i] = h[c]
            i = c
        }
        h[i] = last
        return top
    }
}
