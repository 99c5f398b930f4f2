// print("a", "b") with several items — the host's variadic print.
@_cdecl("main") func probeMain(_ c: Int32, _ v: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Int32 {
    print("a", "b")
    return 0
}
