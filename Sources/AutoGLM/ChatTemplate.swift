/// One message of a chat conversation, as the OpenAI API and transformers' chat templates
/// see it.
public struct ChatMessage: Equatable, Sendable {
    public enum Role: String, Sendable, CaseIterable {
        case system, user, assistant
    }
    public var role: Role
    public var content: String

    public init(role: Role, content: String) {
        self.role = role
        self.content = content
    }
}

/// The chat formats of the supported families, written out in Swift so that the daemon
/// needs no Jinja engine. Each renders exactly what transformers' `apply_chat_template`
/// renders with the model's official template (Tests/AutoGLMTests/Fixtures/
/// chat_templates.json, made by tools/make_chat_template_fixtures.py).
public enum ChatTemplate: String, Sendable, CaseIterable {
    /// GLM-4 (THUDM/glm-4-9b-chat): `[gMASK]<sop><|role|>\ncontent…<|assistant|>`.
    case glm4
    /// Llama-3 Instruct: header, trimmed content, `<|eot_id|>`.
    case llama3
    /// Qwen2 / ChatML: `<|im_start|>role\ncontent<|im_end|>\n`.
    case chatml

    /// The template the family's instruct models ship with.
    public init(family: ModelFamily) {
        switch family {
        case .glm, .glm4: self = .glm4
        case .llama: self = .llama3
        case .qwen2: self = .chatml
        }
    }

    /// The whole conversation, as `apply_chat_template(messages, tokenize=False,
    /// add_generation_prompt=…)` renders it.
    public func render(_ messages: [ChatMessage], addGenerationPrompt: Bool) -> String {
        var text = ""
        switch self {
        case .glm4:
            text = "[gMASK]<sop>"
            text += renderGLM4Turns(messages)
        case .llama3:
            text = "<|begin_of_text|>"
            text += renderLlama3Turns(messages)
        case .chatml:
            if let first = messages.first, first.role != .system {
                text = ChatTemplate.chatMLDefaultSystem
            }
            text += renderChatMLTurns(messages)
        }
        if addGenerationPrompt { text += generationPrompt }
        return text
    }

    /// What follows an assistant turn that the model generated and that is already in a
    /// session's KV cache: the end of that turn (its end token was sampled but never fed
    /// back), then `newMessages` and the generation prompt. Appending this to the
    /// session's tokens gives the conversation the template would render in full.
    public func renderContinuation(_ newMessages: [ChatMessage], addGenerationPrompt: Bool) -> String {
        var text = assistantTurnEnd
        switch self {
        case .glm4: text += renderGLM4Turns(newMessages)
        case .llama3: text += renderLlama3Turns(newMessages)
        case .chatml: text += renderChatMLTurns(newMessages)
        }
        if addGenerationPrompt { text += generationPrompt }
        return text
    }

    /// The text that opens the assistant's reply.
    public var generationPrompt: String {
        switch self {
        case .glm4: return "<|assistant|>"
        case .llama3: return "<|start_header_id|>assistant<|end_header_id|>\n\n"
        case .chatml: return "<|im_start|>assistant\n"
        }
    }

    /// What closes an assistant message in the rendered conversation, after its content.
    var assistantTurnEnd: String {
        switch self {
        case .glm4: return ""  // the next role token ends the turn
        case .llama3: return "<|eot_id|>"
        case .chatml: return "<|im_end|>\n"
        }
    }

    static let chatMLDefaultSystem = "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n"

    // The official GLM-4 template skips messages whose content is empty.
    private func renderGLM4Turns(_ messages: [ChatMessage]) -> String {
        var text = ""
        for message in messages where !message.content.isEmpty {
            text += "<|\(message.role.rawValue)|>\n\(message.content)"
        }
        return text
    }

    private func renderLlama3Turns(_ messages: [ChatMessage]) -> String {
        var text = ""
        for message in messages {
            text += "<|start_header_id|>\(message.role.rawValue)<|end_header_id|>\n\n"
            text += jinjaTrim(message.content) + "<|eot_id|>"
        }
        return text
    }

    private func renderChatMLTurns(_ messages: [ChatMessage]) -> String {
        var text = ""
        for message in messages {
            text += "<|im_start|>\(message.role.rawValue)\n\(message.content)<|im_end|>\n"
        }
        return text
    }
}

/// Jinja's `trim` filter: Python's `str.strip()`, which strips what `str.isspace()` calls
/// whitespace — Unicode White_Space plus the separators U+001C…U+001F.
func jinjaTrim(_ text: String) -> String {
    func isPythonSpace(_ s: Unicode.Scalar) -> Bool {
        s.properties.isWhitespace || (0x1C...0x1F).contains(s.value)
    }
    let scalars = text.unicodeScalars
    guard let start = scalars.firstIndex(where: { !isPythonSpace($0) }) else { return "" }
    let end = scalars.lastIndex(where: { !isPythonSpace($0) })!
    return String(scalars[start...end])
}
