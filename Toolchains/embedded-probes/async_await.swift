// async/await and Task — Embedded concurrency needs an executor; expected not to link as-is.
func work(_ x: Int) async -> Int { x * 2 }
@main struct App { static func main() async { let v = await work(21); print("\(v)") } }
