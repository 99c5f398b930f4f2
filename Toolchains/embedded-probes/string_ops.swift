// Everyday String operations: ==, <, hasPrefix, split, joined, lowercased, Character
// properties, unicodeScalars, Substring, grapheme count.
@_cdecl("main") func probeMain(_ c: Int32, _ v: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Int32 {
    let s = "Hello, Wörld  x"
    let parts = s.split(separator: " ")
    print("\(parts.count) " + parts.joined(separator: "|"))
    print("\(s.hasPrefix("Hell")) \(s.hasSuffix("x")) \("a" < "b") \(s == "Hello, Wörld  x")")
    print(s.lowercased() + s.uppercased())
    var letters = 0
    for ch in s where ch.isLetter { letters += 1 }
    var scalars = 0
    for u in s.unicodeScalars { scalars += Int(u.value & 1) }
    print("\(letters) \(scalars) \(s.count) \(s.firstIndex(of: ",") != nil)")
    let sub = s.dropFirst(7)
    print(String(sub))
    return 0
}
