import Foundation

/// Paths of the committed fixtures (Tests/Fixtures), found relative to this file so the
/// tests run from any working directory.
enum Fixtures {
    static let root: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures")

    static func path(_ relative: String) -> String { root.appendingPathComponent(relative).path }

    static let families = ["llama", "qwen2", "glm", "glm4"]

    /// One family's reference outputs, written by tools/make_fixtures.py from transformers.
    struct ModelReference: Decodable {
        let family: String
        let hf_class: String
        let gguf_arch: String
        let prompt_ids: [Int32]
        let references: [String: Output]

        struct Output: Decodable {
            let greedy_ids: [Int32]
            let first_logits: [Float]
            let min_top1_margin: Float
        }
    }

    static func reference(_ family: String) throws -> ModelReference {
        let data = try Data(contentsOf: root.appendingPathComponent("models/\(family).reference.json"))
        return try JSONDecoder().decode(ModelReference.self, from: data)
    }
}
