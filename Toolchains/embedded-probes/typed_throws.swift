// Typed throws with an enum error: throws(E), do/catch with the concrete type,
// a generic function forwarding typed throws, Result.
enum ParseError: Error, Equatable { case tooLong(Int), empty }
func parse(_ n: Int) throws(ParseError) -> Int {
    if n == 0 { throw .empty }
    if n > 10 { throw .tooLong(n) }
    return n * 2
}
func twice<E: Error>(_ f: () throws(E) -> Int) throws(E) -> Int { try f() + f() }
@_cdecl("main") func probeMain(_ c: Int32, _ v: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Int32 {
    do { _ = try parse(11) } catch { if case .tooLong(let n) = error { print("tooLong \(n)") } }
    do { _ = try parse(0) } catch { print("\(error == .empty)") }
    let r = Result<Int, ParseError> { () throws(ParseError) -> Int in try parse(3) }
    if case .success(let v) = r { print("ok \(v)") }
    print("\((try? twice { () throws(ParseError) -> Int in try parse(4) }) ?? -1)")
    return 0
}
