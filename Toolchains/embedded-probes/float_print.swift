// Float/Double printing and description (String(x), "\(x)", x.description), including
// values whose shortest round-trip form is long, tiny, huge, negative zero, inf and nan.
@_cdecl("main") func probeMain(_ c: Int32, _ v: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Int32 {
    let f: Float = 1.5
    let d: Double = 0.25
    print("\(f) \(d)")
    print(String(f) + " " + f.description)
    let fs: [Float] = [0.1, 1.0 / 3.0, 1e-7, 3.4e38, -0.0, .infinity, .nan, .leastNonzeroMagnitude, 16777216, 123456.789]
    var line = ""
    for x in fs { line += "\(x) " }
    print(line)
    let ds: [Double] = [0.1, 1.0 / 3.0, 1e-300, 1e300, 2.5e-324, 9007199254740993, 6.02214076e23]
    line = ""
    for x in ds { line += "\(x) " }
    print(line)
    print("\(Float16(bitPattern: 0x3555))")
    return 0
}
