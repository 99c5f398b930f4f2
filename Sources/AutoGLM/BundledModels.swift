import Foundation

/// Where the models that ship with Open-AutoGLM live: `Models/` in a source checkout
/// (found by walking up from the executable), `<prefix>/share/autoglm/models` when
/// installed, or the directory named by AUTOGLM_MODELS.
public enum BundledModels {
    public static let defaultFileName = "default.gguf"

    public static func searchDirectories() -> [URL] {
        var dirs: [URL] = []
        if let env = ProcessInfo.processInfo.environment["AUTOGLM_MODELS"] { dirs.append(URL(fileURLWithPath: env)) }
        let executable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var dir = executable.deletingLastPathComponent()
        dirs.append(dir.deletingLastPathComponent().appendingPathComponent("share/autoglm/models"))
        for _ in 0..<6 {
            dirs.append(dir.appendingPathComponent("Models"))
            dir = dir.deletingLastPathComponent()
        }
        return dirs
    }

    /// The first search directory that exists.
    public static func directory() -> URL? {
        searchDirectories().first { url in
            var isDirectory: ObjCBool = false
            return FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) && isDirectory.boolValue
        }
    }

    public static func defaultModelPath() throws -> String {
        try path(of: defaultFileName, what: "model", option: "--model")
    }

    /// The first bundled file named `fileName` in the search directories.
    public static func path(of fileName: String, what: String, option: String) throws -> String {
        for dir in searchDirectories() {
            let candidate = dir.appendingPathComponent(fileName)
            if FileManager.default.fileExists(atPath: candidate.path) { return candidate.resolvingSymlinksInPath().path }
        }
        throw BundledModelNotFound(description: "no bundled \(what) found (looked for \(fileName) in: "
            + searchDirectories().map(\.path).joined(separator: ", ") + "); pass \(option) PATH or set AUTOGLM_MODELS")
    }
}

public struct BundledModelNotFound: Error, CustomStringConvertible {
    public let description: String
}
