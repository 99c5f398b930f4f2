// Informational probe (Toolchains/aarch64-cross-check.sh): does a plain Swift int8 dot
// product auto-vectorize to SDOT for the board's -target-cpu? Not linked anywhere.

public func dotInt8(_ a: UnsafePointer<Int8>, _ b: UnsafePointer<Int8>, _ n: Int) -> Int32 {
    var acc: Int32 = 0
    for i in 0..<n {
        acc &+= Int32(a[i]) &* Int32(b[i])
    }
    return acc
}
