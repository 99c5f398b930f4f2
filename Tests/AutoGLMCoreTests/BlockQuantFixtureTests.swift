import Foundation
import Testing
@testable import AutoGLMCore

/// Files written by llama.cpp's own quantizer (tools/make_quant_fixtures.py): Q4_1/Q5_0/Q5_1
/// from the llama fixture, Q4_K_M/Q5_K_M/Q6_K/Q3_K_M/Q2_K from a hidden-256 model. Our
/// dequantization is checked bit for bit against gguf-py's, our greedy tokens against llama.cpp's.
@Suite struct BlockQuantFixtureTests {
    struct Reference: Decodable {
        let files: [String: File]

        struct File: Decodable {
            let ftype: String
            let tensor_types: [String: String]
            let dequantized: [String: Dequantized]
            let llama_cpp: [Run]
        }

        struct Dequantized: Decodable {
            let type: String
            let elements: Int
            let weighted_bit_sum: String
            let first: [Float]
        }

        struct Run: Decodable {
            let prompt_ids: [Int32]
            let greedy_ids: [Int32]
            let first_logits: [Float]
            let min_top1_margin: Float
        }
    }

    static let reference: Reference = {
        let data = try! Data(contentsOf: URL(fileURLWithPath: Fixtures.path("quants/reference.json")))
        return try! JSONDecoder().decode(Reference.self, from: data)
    }()

    static let files = ["llama-q4_1.gguf", "llama-q5_0.gguf", "llama-q5_1.gguf", "kshape-q4_k_m.gguf",
                        "kshape-q5_k_m.gguf", "kshape-q6_k.gguf", "kshape-q3_k_m.gguf", "kshape-q2_k.gguf"]

    /// Σ_i (i+1)·bits(v_i) mod 2^64, as make_quant_fixtures.py sums gguf-py's values.
    static func weightedBitSum(_ values: UnsafeBufferPointer<Float>) -> UInt64 {
        var sum: UInt64 = 0
        for (i, v) in values.enumerated() { sum &+= UInt64(i + 1) &* UInt64(v.bitPattern) }
        return sum
    }

    @Test func everyNewTypeIsCoveredByAFixture() {
        let seen = Set(Self.reference.files.values.flatMap { $0.dequantized.values.map(\.type) })
        #expect(seen == ["Q4_1", "Q5_0", "Q5_1", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K"])
        #expect(Set(Self.reference.files.keys) == Set(Self.files))
    }

    @Test(arguments: files)
    func loadsWithTheTypesLlamaCppWrote(file: String) throws {
        let expected = try #require(Self.reference.files[file])
        let gguf = try GGUFFile(path: Fixtures.path("quants/\(file)"))
        #expect(gguf.tensors.count == expected.tensor_types.count)
        for t in gguf.tensors { #expect(t.type.name == expected.tensor_types[t.name], "\(file) \(t.name)") }
        _ = try Model(path: Fixtures.path("quants/\(file)"))
    }

    @Test(arguments: files)
    func dequantizationEqualsGGUFPyBitForBit(file: String) throws {
        let expected = try #require(Self.reference.files[file])
        let gguf = try GGUFFile(path: Fixtures.path("quants/\(file)"))
        #expect(!expected.dequantized.isEmpty)
        for (name, want) in expected.dequantized {
            let t = try #require(gguf.tensor(named: name))
            #expect(t.type.name == want.type && t.elementCount == want.elements)
            var values = [Float](repeating: .nan, count: t.elementCount)
            values.withUnsafeMutableBufferPointer { dequantize(type: t.type, gguf.data(for: t), count: t.elementCount, into: $0.baseAddress!) }
            #expect(Array(values.prefix(want.first.count)) == want.first, "\(file) \(name) first values")
            let sum = values.withUnsafeBufferPointer { Self.weightedBitSum($0) }
            #expect(String(sum) == want.weighted_bit_sum, "\(file) \(name): dequantized values differ from gguf-py's")
        }
    }

    /// K-quants: llama.cpp and we quantize the activations identically (Q8_K) and sum the
    /// same integers; only the float order of the per-block scaling and the code outside
    /// the matmuls differ, so greedy tokens must agree on every prompt. First logits agree
    /// to 1e-5 on four of the five files; on Q4_K_M the gap is 0.044, hence the 0.05 bound.
    /// That gap is one activation step: each Q4_K_M tensor put alone (or all but the output)
    /// into the F32 model agrees to 2e-5, and only all of them together move the output
    /// matrix's input by the ~1e-6 that tips one element across a Q8_K rounding boundary —
    /// one int8 step of d_x times an output weight, a few hundredths of a logit.
    ///
    /// Q4_1/Q5_0/Q5_1 (32-blocks): llama.cpp rounds the activation scale to f16 (Q8_0/Q8_1)
    /// and multiplies its F16 tensors (ffn_down here) with f16-rounded activations; we keep
    /// Float scales and Float activations (ActivationQuantization, as for Q8_0), which moves
    /// logits by about 0.35 on these files — larger than some top-1 margins, so later tokens
    /// may part. The first token must agree; how many agree is printed.
    @Test(arguments: files)
    func greedyTokensEqualLlamaCpp(file: String) throws {
        let expected = try #require(Self.reference.files[file])
        let model = try Model(path: Fixtures.path("quants/\(file)"))
        let kQuant = file.hasPrefix("kshape")
        let bound: Float = kQuant ? 0.05 : 0.5
        var hashes: [Backend: [UInt64]] = [:]
        for backend in [Backend.reference, .emulation] {
            for (i, run) in expected.llama_cpp.enumerated() {
                let state = try InferenceState(model: model, limits: RuntimeLimits(maxContext: 128, prefillChunk: 64, threads: 1),
                                               backend: backend)
                let ours = GreedyRun(state: state, prompt: run.prompt_ids, steps: run.greedy_ids.count)
                hashes[backend, default: []].append(ours.logitsHash)
                let agree = zip(ours.tokens, run.greedy_ids).prefix { $0 == $1 }.count
                let note = "\(file) \(backend.name) prompt \(i): first \(agree) of \(run.greedy_ids.count) tokens agree with llama.cpp (its smallest top-1 margin \(run.min_top1_margin))"
                if kQuant {
                    #expect(ours.tokens == run.greedy_ids, "\(note)")
                } else {
                    #expect(agree >= 1, "\(note)")
                    if backend == .reference { print(note) }
                }
                if i == 0 {
                    let diff = ModelFixtureTests.maxAbsDifference(ours.firstLogits, run.first_logits)
                    #expect(diff <= bound, "\(file) \(backend.name) max |Δ first logit| vs llama.cpp = \(diff)")
                    if backend == .reference { print("\(file): max |Δ first logit| vs llama.cpp = \(diff)") }
                }
            }
        }
        // Both backends run the same reference kernels for these types: the same bits.
        #expect(hashes[.reference] == hashes[.emulation], "\(file): emulation logits differ from reference")
    }
}

/// Damaged blocks (tools/make_bad_gguf.py, block_quant_fixtures): a clear error, never a crash.
@Suite struct DamagedBlockTests {
    @Test(arguments: ["q2_k-scale-nan.gguf", "q4_k-dmin-inf.gguf", "q6_k-scale-minus-inf.gguf", "q3_k-scale-nan.gguf"])
    func nonFiniteScaleIsRefusedByName(file: String) throws {
        let names = ["q2_k-scale-nan.gguf": ("blk.0.attn_q.weight", "Q2_K", 37, "NaN"),
                     "q4_k-dmin-inf.gguf": ("blk.0.attn_v.weight", "Q4_K", 0, "+inf"),
                     "q6_k-scale-minus-inf.gguf": ("output.weight", "Q6_K", 31, "-inf"),
                     "q3_k-scale-nan.gguf": ("blk.0.ffn_down.weight", "Q3_K", 255, "NaN")]
        let (tensor, type, block, value) = try #require(names[file])
        do {
            _ = try Model(path: Fixtures.path("bad-gguf/\(file)"))
            Issue.record("\(file) loaded")
        } catch {
            guard case .model(.nonFiniteBlockScale(let t, let ty, let b, _)) = error else {
                Issue.record("\(file): \(error.message)")
                return
            }
            #expect(t == tensor && ty == type && b == block)
            #expect(error.message.contains("'\(tensor)'") && error.message.contains("block \(block)") && error.message.contains(value))
        }
    }

    /// The undamaged original of those files loads and gives finite logits on every backend.
    @Test func undamagedKQuantModelGivesFiniteLogits() throws {
        let model = try Model(path: Fixtures.path("bad-gguf/kquant-model.gguf"))
        for backend in [Backend.reference, .emulation] {
            let state = try InferenceState(model: model, limits: RuntimeLimits(maxContext: 32, prefillChunk: 16, threads: 2),
                                           backend: backend)
            let run = GreedyRun(state: state, prompt: [1, 5, 9, 20], steps: 4)
            #expect(run.firstLogits.allSatisfy { $0.isFinite }, "\(backend.name)")
        }
    }

    @Test func unknownTypeErrorNamesTensorTypeAndSupportedList() throws {
        do {
            _ = try GGUFFile(path: Fixtures.path("bad-gguf/unknown-tensor-type.gguf"))
            Issue.record("an IQ4_NL tensor parsed")
        } catch {
            let message = error.message
            #expect(message.contains("'t'") && message.contains("IQ4_NL (20)"), "\(message)")
            for type in TensorType.allCases { #expect(message.contains(GGMLType.describe(type.rawValue)), "\(message)") }
        }
    }
}
