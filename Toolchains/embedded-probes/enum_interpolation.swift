// "\(someEnum)" / String(describing:) of a non-String value — needs reflection.
enum Backend { case neon, emulation }
@_cdecl("main") func probeMain(_ c: Int32, _ v: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Int32 {
    let b = Backend.neon
    print("\(b) " + String(describing: b))
    return 0
}
