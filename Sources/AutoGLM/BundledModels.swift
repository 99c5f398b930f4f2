import Foundation

/// Where the models that ship with Open-AutoGLM live: `Models/` in a source checkout
/// (found by walking up from the executable), `<prefix>/share/autoglm/models` when
/// installed, or the directory named by AUTOGLM_MODELS.
public enum BundledModels {
    public static let defaultFileName = "default.gguf"
    /// Where an install puts the models, relative to the prefix (tools/install.sh).
    public static let installedModelsPath = "share/autoglm/models"
    /// How many directories above the executable a source checkout's `Models/` may be
    /// (.build/<triple>/<config>/autoglm is four levels below the checkout).
    static let sourceTreeLevels = 6

    /// AUTOGLM_MODELS, then the install layout and the source tree around the real
    /// executable — not argv[0], which is a bare name when the binary runs from PATH
    /// (symlinked or not) and would resolve against the working directory.
    public static func searchDirectories() -> [URL] {
        searchDirectories(executable: ExecutableLocation.current(),
                          environment: ProcessInfo.processInfo.environment)
    }

    /// `executable` is the binary's real path (symlinks resolved).
    public static func searchDirectories(executable: URL, environment: [String: String]) -> [URL] {
        var dirs: [URL] = []
        if let env = environment["AUTOGLM_MODELS"], !env.isEmpty { dirs.append(URL(fileURLWithPath: env)) }
        var dir = executable.deletingLastPathComponent()
        dirs.append(dir.deletingLastPathComponent().appendingPathComponent(installedModelsPath))
        for _ in 0..<sourceTreeLevels {
            dirs.append(dir.appendingPathComponent("Models"))
            dir = dir.deletingLastPathComponent()
        }
        return dirs
    }

    /// The first search directory that exists.
    public static func directory() -> URL? {
        directory(in: searchDirectories())
    }

    public static func directory(in searchDirectories: [URL]) -> URL? {
        searchDirectories.first { url in
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
