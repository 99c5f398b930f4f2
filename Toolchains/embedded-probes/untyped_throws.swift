// Untyped throws (any Error) — expected NOT to work in Embedded (no existentials).
enum E: Error { case bad }
func f(_ x: Int) throws -> Int { if x < 0 { throw E.bad }; return x }
@_cdecl("main") func probeMain(_ c: Int32, _ v: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Int32 {
    do { _ = try f(-1) } catch { print("caught") }
    return 0
}
