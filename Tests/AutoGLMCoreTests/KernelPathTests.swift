import Foundation
import Testing
@testable import AutoGLMCore

/// The kernel path switch (AUTOGLM_KERNELS) and the promise behind it: every path gives
/// the same logits, bit for bit, on every committed fixture model.
@Suite struct KernelPathTests {
    static let fixtureModels = ["llama-f32", "llama-f16", "llama-q8_0", "llama-spm-f32", "qwen2-f32", "qwen2-f16", "qwen2-q8_0",
                                "qwen2-int8", "glm-f32", "glm-f16", "glm-q8_0", "glm4-f32", "glm4-f16", "glm4-q8_0", "glm4-int8-asym"]

    /// A greedy run's every logit (prefill in chunks of 3, so tiles see ragged token counts,
    /// then decode) on each path under test equals the reference backend's.
    @Test(arguments: fixtureModels)
    func everyPathGivesTheReferenceLogits(fixture: String) throws {
        let model = try Model(path: Fixtures.path("models/\(fixture).gguf"))
        let prompt: [Int32] = (0..<13).map { Int32(($0 * 41 + 3) % model.config.vocabularySize) }
        func hash(_ backend: Backend, _ path: KernelPath?) throws -> UInt64 {
            let state = try InferenceState(model: model, limits: RuntimeLimits(maxContext: 64, prefillChunk: 3, threads: 2),
                                           backend: backend, kernels: path)
            #expect(state.kernels.path == (backend == .reference ? .scalar : path))
            return GreedyRun(state: state, prompt: prompt, steps: 5).logitsHash
        }
        let reference = try hash(.reference, nil)
        for path in KernelPathsUnderTest.all {
            #expect(try hash(.emulation, path) == reference, "\(fixture) on \(path.name)")
        }
    }

    @Test func namesRoundTripAndAvx512IsAnAlias() throws {
        for path in KernelPath.allCases { #expect(try KernelPath(name: path.name) == path) }
        #expect(try KernelPath(name: "avx512") == .avx512vnni)
        #expect(KernelPath.allCases.map(\.name) == ["scalar", "avx2", "avx512vnni", "neon", "neon-dotprod", "neon-i8mm"])
    }

    @Test func anUnknownNameIsRefused() {
        #expect(throws: CoreError.model(.unknownKernelPath("sse9"))) { try KernelPath.choose(requested: "sse9") }
    }

    /// A path for another architecture (or a level this CPU lacks) is refused with the list
    /// of those it runs; no request, or an empty one, takes the detected path.
    @Test func aPathThisCPULacksIsRefused() throws {
        let lacking = try #require(KernelPath.allCases.first { !$0.isSupported }, "this machine runs every path")
        let available = KernelPath.available.map(\.name).joined(separator: ", ")
        #expect(throws: CoreError.model(.kernelPathUnavailable(path: lacking.name, available: available))) {
            try KernelPath.choose(requested: lacking.name)
        }
        #expect(try KernelPath.choose(requested: nil) == KernelPath.detected)
        #expect(try KernelPath.choose(requested: "") == KernelPath.detected)
        #expect(try KernelPath.choose(requested: "scalar") == .scalar)
        #expect(KernelPath.available.last == .scalar && KernelPath.detected.isSupported)
    }

    /// Detection agrees with the CPU's flags as Linux reports them (x86 only).
    @Test func detectionMatchesProcCpuinfo() throws {
        #if arch(x86_64)
        let cpuinfo = try String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)
        let flagsLine = try #require(cpuinfo.split(separator: "\n").first { $0.hasPrefix("flags") })
        let flags = Set(flagsLine.split(separator: ":")[1].split(separator: " ").map(String.init))
        let avx2 = ["avx2", "fma", "f16c"].allSatisfy(flags.contains)
        #expect(KernelPath.avx2.isSupported == avx2)
        #expect(KernelPath.avx512vnni.isSupported == (avx2 && ["avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512_vnni"].allSatisfy(flags.contains)))
        #expect(!KernelPath.neon.isSupported)
        #else
        print("kernel tests: /proc/cpuinfo flags check is x86-only; skipped")
        #endif
    }
}
