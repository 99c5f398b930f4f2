import ArgumentParser
import AutoGLM
import AutoGLMCore
import Foundation

struct Models: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List the bundled models.")

    @Flag(help: "Print a JSON array of objects with path, name, type, bytes and default.")
    var json = false

    func run() throws {
        guard let directory = BundledModels.directory() else {
            throw CLIError(description: "no bundled models directory found (looked in: "
                + BundledModels.searchDirectories().map(\.path).joined(separator: ", ") + ")")
        }
        let defaultPath = try? BundledModels.defaultModelPath()
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path)
            .filter { $0.hasSuffix(".gguf") && $0 != BundledModels.defaultFileName }
            .sorted()
        var rows: [[String: Any]] = []
        for file in files {
            let path = directory.appendingPathComponent(file).path
            // Listed even in types this runtime cannot run (marked by dominantTensorType).
            let gguf = try coreCall { () throws(CoreError) in try GGUFFile(path: path, acceptingUnsupportedTensorTypes: true) }
            rows.append([
                "path": path,
                "name": InspectText.shown(gguf.string("general.name") ?? String(file.dropLast(5))),
                "type": dominantTensorType(gguf),
                "bytes": gguf.file.count,
                "default": path == defaultPath,
            ])
        }
        if json {
            let data = try JSONSerialization.data(withJSONObject: rows, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        } else {
            for row in rows {
                let mark = (row["default"] as? Bool) == true ? "*" : " "
                print("\(mark) \(row["name"]!)  \(row["type"]!)  \(formatBytes(row["bytes"] as! Int))  \(row["path"]!)")
            }
            if rows.isEmpty { print("no models in \(directory.path)") }
        }
    }

    /// The tensor type holding most of the file's bytes ("Q8_0" for a Q8_0 file with F32 norms).
    func dominantTensorType(_ gguf: GGUFFile) -> String {
        var bytes: [String: Int] = [:]
        for t in gguf.tensors { bytes[t.type.name, default: 0] += t.byteCount }
        for t in gguf.unsupportedTensors { bytes[t.typeDescription + " (cannot run)", default: 0] += t.byteCount ?? 0 }
        return bytes.max { ($0.value, $0.key) < ($1.value, $1.key) }?.key ?? "none"
    }
}
