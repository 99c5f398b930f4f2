import ArgumentParser
import AutoGLM
import AutoGLMCore
import Foundation
#if AUTOGLM_ARMNN
import AutoGLMArmNN
#endif

/// `--backend armnn` and its options, shared by the commands that run the model.
struct ArmNNOptions: ParsableArguments {
    @Option(name: .customLong("armnn-compute"),
            help: "With --backend armnn: Arm NN compute backends in order of preference, e.g. CpuAcc,CpuRef (default: CpuAcc,CpuRef on aarch64, CpuRef elsewhere).")
    var compute: String?

    @Option(name: .customLong("armnn-calibration"),
            help: "With --backend armnn: text on which the static activation ranges are measured (default: the bundled Models/default-calibration.txt).")
    var calibration: String?

    static let backendName = "armnn"
    static let calibrationFileName = "default-calibration.txt"
    /// Enough windows to see every layer's typical range; more only slows start-up.
    static let calibrationTokenLimit = 4096
    static let calibrationWindow = 256
}

/// The kernels Core runs (attention, norms, RoPE — and the linear layers unless Arm NN
/// takes them) and whether Arm NN takes the linear layers.
func resolveBackends(_ name: String?) throws -> (core: Backend, armnn: Bool) {
    if name == ArmNNOptions.backendName {
        #if AUTOGLM_ARMNN
        return (.platformDefault, true)
        #else
        throw CLIError(description: "this autoglm was built without Arm NN: install libarmnn-dev and "
            + "libarmnn-cpuref-backend22 (Debian; libarmnn-cpuacc-backend22 on arm64) and rebuild with AUTOGLM_ARMNN=1 swift build")
        #endif
    }
    return (try resolveBackend(name), false)
}

extension ArmNNOptions {
    /// Builds the Arm NN networks for every linear layer of `state`'s model and hands them
    /// the linear layers. Returns a line describing what was set up.
    func attach(to state: InferenceState, tokenizer: Tokenizer) throws -> String {
        #if AUTOGLM_ARMNN
        let names = compute.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
            ?? ArmNNRuntime.platformDefaultCompute
        let path = try calibration
            ?? BundledModels.path(of: ArmNNOptions.calibrationFileName, what: "calibration text", option: "--armnn-calibration")
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CLIError(description: "cannot read calibration text '\(path)'")
        }
        let tokens = Array(tokenizer.encode(String(decoding: data, as: UTF8.self), addBos: tokenizer.addBosDefault)
            .prefix(ArmNNOptions.calibrationTokenLimit))
        let bos = tokenizer.addBosDefault ? tokenizer.bosTokenId : nil
        let backend: ArmNNLinearBackend
        do {
            backend = try ArmNNLinearBackend.attach(to: state, compute: names, calibrationTokens: tokens,
                                                    window: ArmNNOptions.calibrationWindow, bos: bos)
        } catch {
            throw CLIError(description: error.description)
        }
        return "armnn: \(backend.networkCount) networks on \(names.joined(separator: ",")), "
            + "activation ranges from \(tokens.count) tokens of \(path)"
        #else
        throw CLIError(description: "this autoglm was built without Arm NN")
        #endif
    }
}
