// print() of non-String values and with terminator:.
@_cdecl("main") func probeMain(_ c: Int32, _ v: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Int32 {
    print(3)
    print(true)
    print("no newline", terminator: "")
    print("")
    return 0
}
