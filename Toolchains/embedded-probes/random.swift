// Random numbers: SystemRandomNumberGenerator via Int.random(in:) and a custom seeded generator.
struct SplitMix: RandomNumberGenerator { var s: UInt64; mutating func next() -> UInt64 { s &+= 0x9E3779B97F4A7C15; var z = s; z = (z ^ (z >> 30)) &* 0xBF58476D1CE4E5B9; z = (z ^ (z >> 27)) &* 0x94D049BB133111EB; return z ^ (z >> 31) } }
@_cdecl("main") func probeMain(_ c: Int32, _ v: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Int32 {
    var g = SplitMix(s: 42)
    let a = Int.random(in: 0..<100, using: &g)
    let sys = Int.random(in: 0..<10)
    print("\(a) \(sys >= 0 && sys < 10)")
    return 0
}
