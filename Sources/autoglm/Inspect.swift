import ArgumentParser
import AutoGLMCore

struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print a GGUF file's metadata and tensor table.")

    @Argument(help: "Path to a GGUF file.")
    var model: String

    func run() throws {
        let gguf = try coreCall { () throws(CoreError) in try GGUFFile(path: model) }
        print("GGUF v\(gguf.version), \(gguf.metadataKeys.count) metadata keys, \(gguf.tensors.count) tensors, alignment \(gguf.alignment)")
        for key in gguf.metadataKeys {
            print("  \(key) = \(gguf.metadata[key]!.summary)")
        }
        print("tensors:")
        for t in gguf.tensors {
            let shape = t.shape.map(String.init).joined(separator: " × ")
            print("  \(t.name)  \(t.type.name)  [\(shape)]  \(t.byteCount) bytes @ \(t.offset)")
        }
    }
}
