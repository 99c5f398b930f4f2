import ArgumentParser
import AutoGLMCore

/// A Core error on its way to the terminal: ArgumentParser prints the description
/// and exits with status 1, without the usage text that a ValidationError adds.
struct CLIError: Error, CustomStringConvertible {
    let description: String
}

/// Runs a Core call and turns its typed error into a one-line message, so the user
/// sees "Error: GGUF: file truncated reading …" rather than a dump of enums.
func coreCall<T>(_ body: () throws(CoreError) -> T) throws -> T {
    do {
        return try body()
    } catch {
        throw CLIError(description: error.message)
    }
}

/// Runs a library (AutoGLM) call, turning a Core error it lets through into a one-line message.
func libraryCall<T>(_ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let error as CoreError {
        throw CLIError(description: error.message)
    }
}

/// The backend named on the command line, or the fastest exact one for this machine.
func resolveBackend(_ name: String?) throws -> Backend {
    guard let name else { return .platformDefault }
    return try coreCall { () throws(CoreError) in try Backend(name: name) }
}
