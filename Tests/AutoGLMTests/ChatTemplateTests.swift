import AutoGLM
import Foundation
import XCTest

/// Every fixture conversation must render exactly as transformers' apply_chat_template
/// rendered it (tools/make_chat_template_fixtures.py).
final class ChatTemplateTests: XCTestCase {
    struct Case: Decodable {
        struct Message: Decodable { let role: String; let content: String }
        let template: String
        let add_generation_prompt: Bool
        let messages: [Message]
        let expected: String
    }

    func loadCases() throws -> [Case] {
        let url = try XCTUnwrap(Bundle.module.url(forResource: "chat_templates", withExtension: "json",
                                                  subdirectory: "Fixtures"))
        return try JSONDecoder().decode([Case].self, from: Data(contentsOf: url))
    }

    func testRendersLikeTransformers() throws {
        let cases = try loadCases()
        XCTAssertEqual(Set(cases.map(\.template)), Set(ChatTemplate.allCases.map(\.rawValue)))
        for c in cases {
            let template = try XCTUnwrap(ChatTemplate(rawValue: c.template))
            let messages = try c.messages.map { ChatMessage(role: try XCTUnwrap(ChatMessage.Role(rawValue: $0.role)), content: $0.content) }
            XCTAssertEqual(template.render(messages, addGenerationPrompt: c.add_generation_prompt), c.expected,
                           "\(c.template) on \(c.messages.map(\.role))")
        }
    }

    /// A conversation continued turn by turn (what a session appends to its KV cache)
    /// must equal the whole conversation rendered at once, with the assistant's reply
    /// standing in for what the model generated.
    func testContinuationEqualsFullRendering() {
        let first = [ChatMessage(role: .system, content: "Be brief."), ChatMessage(role: .user, content: "Hello")]
        let reply = "Hi there"
        let next = [ChatMessage(role: .user, content: "And then?")]
        for template in ChatTemplate.allCases {
            let opened = template.render(first, addGenerationPrompt: true)
            // GLM-4's generation prompt stops at "<|assistant|>": the model writes the "\n".
            let generated = (template == .glm4 ? "\n" : "") + reply
            let continued = opened + generated + template.renderContinuation(next, addGenerationPrompt: true)
            let whole = template.render(first + [ChatMessage(role: .assistant, content: reply)] + next,
                                        addGenerationPrompt: true)
            XCTAssertEqual(continued, whole, "\(template)")
        }
    }
}
