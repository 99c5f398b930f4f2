import Foundation

/// The running binary's real path, for finding what ships beside it (models, the unit
/// file's ExecStart). argv[0] is not it: from PATH it is a bare name, and it may be a symlink.
public enum ExecutableLocation {
    /// Linux names the executable here, symlinks already resolved by the kernel.
    static let procSelfExe = "/proc/self/exe"

    public static func current() -> URL {
        if let target = try? FileManager.default.destinationOfSymbolicLink(atPath: procSelfExe) {
            return URL(fileURLWithPath: target)
        }
        return fromArgument(CommandLine.arguments[0], environment: ProcessInfo.processInfo.environment)
    }

    /// Without /proc: argv[0] as a path if it has a slash, else the first match on PATH.
    static func fromArgument(_ argument: String, environment: [String: String]) -> URL {
        if !argument.contains("/") {
            for dir in (environment["PATH"] ?? "").split(separator: ":") {
                let candidate = URL(fileURLWithPath: String(dir)).appendingPathComponent(argument)
                if FileManager.default.isExecutableFile(atPath: candidate.path) {
                    return candidate.resolvingSymlinksInPath()
                }
            }
        }
        return URL(fileURLWithPath: argument).resolvingSymlinksInPath()
    }
}
