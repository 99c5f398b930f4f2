// Set<String>, a custom Hashable struct as a Dictionary key, Hasher.
struct Key: Hashable { var a: Int; var b: String }
@_cdecl("main") func probeMain(_ c: Int32, _ v: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Int32 {
    var s: Set<String> = ["a", "b"]
    s.insert("a"); s.insert("c")
    var d: [Key: Int] = [:]
    d[Key(a: 1, b: "x")] = 7
    print("\(s.count) \(s.contains("c")) \(d[Key(a: 1, b: "x")]!)")
    return 0
}
