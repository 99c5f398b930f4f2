// Dictionary<String, Int>: insert, lookup, update, remove, iterate in sorted key order.
@_cdecl("main") func probeMain(_ c: Int32, _ v: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Int32 {
    var d: [String: Int] = ["blk.0.attn_q.weight": 1, "héllo": 2]
    d["token_embd.weight", default: 0] += 5
    d["héllo"] = nil
    for k in d.keys.sorted() { print(k + " \(d[k]!)") }
    print("\(d.count) \(d["missing"] == nil)")
    return 0
}
