// libm-style free functions (exp, log, sin, pow) — Embedded has no Glibc/libm module.
@_cdecl("main") func probeMain(_ c: Int32, _ v: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Int32 {
    let y = exp(1.0) + log(2.0) + sin(0.5) + pow(2.0, 0.5)
    print("\(y.bitPattern)")
    return 0
}
