// Informational probe (Toolchains/aarch64-cross-check.sh): does a plain Swift int8 dot
// product auto-vectorize to SDOT for the board's -target-cpu? Not linked anywhere.

public func dotInt8(_ a: UnsafePointer<Int8>, _ b: UnsafePointer<Int8>, _ n: Int) -> Int32 {
    var acc: Int32 = 0
    for i in 0..<n {
        acc &+= Int32(a[i]) &* Int32(b[i])
    }
    return acc
}

/// The same dot product written with Swift SIMD types, for comparison (n a multiple of
/// 16; no scalar tail, so that any sdot found here comes from the SIMD code itself).
public func dotInt8SIMD(_ a: UnsafePointer<Int8>, _ b: UnsafePointer<Int8>, _ n: Int) -> Int32 {
    var acc = SIMD16<Int32>()
    var i = 0
    while i + 16 <= n {
        let x = UnsafeRawPointer(a + i).loadUnaligned(as: SIMD16<Int8>.self)
        let y = UnsafeRawPointer(b + i).loadUnaligned(as: SIMD16<Int8>.self)
        acc &+= SIMD16<Int32>(truncatingIfNeeded: x) &* SIMD16<Int32>(truncatingIfNeeded: y)
        i += 16
    }
    return acc.wrappedSum()
}
