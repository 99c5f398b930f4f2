import CAutoGLMArmNN
import Foundation

/// A failure of Arm NN or of our use of it, as one line for the terminal.
public struct ArmNNError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Calls a shim function that reports failure through a C string buffer.
func withErrorBuffer<T>(_ body: (UnsafeMutablePointer<CChar>, Int) -> T?) throws(ArmNNError) -> T {
    let capacity = ArmNNRuntime.errorCapacity
    var buffer = [CChar](repeating: 0, count: capacity)
    let result = buffer.withUnsafeMutableBufferPointer { body($0.baseAddress!, capacity) }
    guard let result else { throw ArmNNError(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)) }
    return result
}

/// An Arm NN runtime with the compute backends (devices) chosen on the command line,
/// in order of preference.
public final class ArmNNRuntime {
    static let errorCapacity = 1024
    /// Debian package that provides each compute backend, for the start-up error.
    public static let packageForBackend = [
        "CpuRef": "libarmnn-cpuref-backend22",
        "CpuAcc": "libarmnn-cpuacc-backend22 (arm64)",
        "GpuAcc": "libarmnn-gpuacc-backend22 (arm64, with an OpenCL driver)",
    ]
    /// CpuAcc (NEON through the Compute Library) on the board; CpuRef is all x86 has.
    public static var platformDefaultCompute: [String] {
        #if arch(arm64)
        return ["CpuAcc", "CpuRef"]
        #else
        return ["CpuRef"]
        #endif
    }

    let handle: OpaquePointer
    public let compute: [String]

    public init(compute: [String]) throws(ArmNNError) {
        guard !compute.isEmpty else { throw ArmNNError("--armnn-compute names no Arm NN compute backend") }
        let names = compute.map { strdup($0) }
        defer { names.forEach { free($0) } }
        let constNames = names.map { UnsafePointer<CChar>($0) }
        do throws(ArmNNError) {
            handle = try withErrorBuffer { error, capacity in
                constNames.withUnsafeBufferPointer {
                    autoglm_armnn_runtime_create($0.baseAddress, Int32(compute.count), nil, error, capacity)
                }
            }
        } catch {
            let hints = compute.compactMap { name in ArmNNRuntime.packageForBackend[name].map { "\(name): \($0)" } }
            throw ArmNNError("\(error.description). Install the backend's package: \(hints.joined(separator: "; "))")
        }
        self.compute = compute
    }

    deinit { autoglm_armnn_runtime_destroy(handle) }

    /// The compute backends this Arm NN installation offers.
    public var availableBackends: String {
        var buffer = [CChar](repeating: 0, count: ArmNNRuntime.errorCapacity)
        buffer.withUnsafeMutableBufferPointer {
            autoglm_armnn_runtime_available_backends(handle, $0.baseAddress, $0.count)
        }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
