import AutoGLM
import Foundation

/// The fields of /v1/completions and /v1/chat/completions that the engine needs,
/// validated. Unknown fields are ignored, as OpenAI's SDKs send some we do not use.
struct CompletionRequest {
    enum Prompt {
        case text(String)
        case tokens([Int32])
        case chat([ChatMessage])
    }
    var prompt: Prompt
    var maxTokens: Int
    var sampling: SamplerConfig
    var stop: [String]
    var stream: Bool
    var includeUsage: Bool
    var logprobs: Bool
    /// Non-standard: each token's id in its chunk ("token_id"), for resuming by index.
    var returnTokenIds: Bool
    var priority: Int
    var deadlineMilliseconds: Int?
    var sessionId: String?
    var model: String?

    static let defaultMaxTokens = 128
    static let maxStopStrings = 4
    static let maxStopStringLength = 256
    static let priorityRange = -1000...1000
    static let deadlineRange = 1...3_600_000
    static let maxSeed = 1 << 52

    init(fields f: JSONFields, chat: Bool, limits: ServerLimits, vocabularySize: Int) throws(APIError) {
        model = try f.string("model")
        if chat {
            guard let raw = try f.array("messages") else { throw .invalidRequest("messages is required", param: "messages") }
            guard !raw.isEmpty else { throw .invalidRequest("messages must not be empty", param: "messages") }
            var messages: [ChatMessage] = []
            for (i, item) in raw.enumerated() { messages.append(try Self.message(item, index: i)) }
            prompt = .chat(messages)
            sessionId = try f.string("session_id")
        } else {
            guard f.has("prompt") else { throw .invalidRequest("prompt is required", param: "prompt") }
            prompt = try Self.completionPrompt(f.object["prompt"]!, vocabularySize: vocabularySize)
            if f.has("suffix") { throw .invalidRequest("suffix is not supported", param: "suffix") }
            if f.has("session_id") { throw .invalidRequest("session_id works with /v1/chat/completions only", param: "session_id") }
        }
        let tokenKey = f.has("max_completion_tokens") ? "max_completion_tokens" : "max_tokens"
        maxTokens = try f.int(tokenKey, in: 1...limits.maxTokens) ?? min(Self.defaultMaxTokens, limits.maxTokens)
        if let n = try f.int("n", in: 1...Int.max), n != 1 { throw .invalidRequest("n must be 1", param: "n") }

        var sampling = SamplerConfig(temperature: 1, topP: 1)
        sampling.temperature = Float(try f.double("temperature", in: 0...2) ?? 1)
        sampling.topP = Float(try f.double("top_p", in: 0...1) ?? 1)
        if sampling.topP == 0 { throw .invalidRequest("top_p must be > 0", param: "top_p") }
        sampling.topK = try f.int("top_k", in: 0...vocabularySize) ?? 0
        sampling.minP = Float(try f.double("min_p", in: 0...1) ?? 0)
        sampling.presencePenalty = Float(try f.double("presence_penalty", in: -2...2) ?? 0)
        sampling.frequencyPenalty = Float(try f.double("frequency_penalty", in: -2...2) ?? 0)
        sampling.repetitionPenalty = Float(try f.double("repetition_penalty", in: 0.01...10) ?? 1)
        sampling.seed = UInt64(try f.int("seed", in: 0...Self.maxSeed) ?? 0)
        self.sampling = sampling

        stop = try Self.stopStrings(f)
        stream = try f.bool("stream") ?? false
        includeUsage = false
        if f.has("stream_options") {
            guard let options = f.object["stream_options"] as? [String: Any] else {
                throw .invalidRequest("stream_options must be an object", param: "stream_options")
            }
            includeUsage = try JSONFields(object: options).bool("include_usage") ?? false
        }
        if chat {
            logprobs = try f.bool("logprobs") ?? false
            if let top = try f.int("top_logprobs", in: 0...20), top > 0 {
                throw .invalidRequest("top_logprobs > 0 is not supported; logprobs gives the chosen tokens'", param: "top_logprobs")
            }
        } else {
            logprobs = try f.int("logprobs", in: 0...5) != nil
        }
        returnTokenIds = try f.bool("return_token_ids") ?? false
        priority = try f.int("priority", in: Self.priorityRange) ?? 0
        deadlineMilliseconds = try f.int("deadline_ms", in: Self.deadlineRange)
    }

    static func message(_ item: Any, index: Int) throws(APIError) -> ChatMessage {
        let param = "messages[\(index)]"
        guard let object = item as? [String: Any] else { throw .invalidRequest("\(param) must be an object", param: param) }
        let fields = JSONFields(object: object)
        guard let roleName = try fields.string("role") else { throw .invalidRequest("\(param).role is required", param: param + ".role") }
        guard let role = ChatMessage.Role(rawValue: roleName) else {
            throw .invalidRequest("\(param).role \"\(roleName)\" is not one of system, user, assistant", param: param + ".role",
                                  code: "invalid_role")
        }
        guard object.keys.contains("content") else {
            throw .invalidRequest("\(param).content is required", param: param + ".content")
        }
        switch object["content"] {
        case let text as String:
            return ChatMessage(role: role, content: text)
        case is NSNull where role == .assistant:
            return ChatMessage(role: role, content: "")
        case let parts as [Any]:
            var text = ""
            for part in parts {
                guard let p = part as? [String: Any], p["type"] as? String == "text", let t = p["text"] as? String else {
                    throw .invalidRequest("\(param).content parts must be {\"type\": \"text\", \"text\": …}", param: param + ".content")
                }
                text += t
            }
            return ChatMessage(role: role, content: text)
        default:
            throw .invalidRequest("\(param).content must be a string or an array of text parts", param: param + ".content")
        }
    }

    static func completionPrompt(_ value: Any, vocabularySize: Int) throws(APIError) -> Prompt {
        if let text = value as? String { return .text(text) }
        if let list = value as? [Any] {
            if list.count == 1, let text = list[0] as? String { return .text(text) }
            var ids: [Int32] = []
            for item in list {
                guard let number = item as? NSNumber, let id = JSONFields.exactInt(number), id >= 0, id < vocabularySize else {
                    throw .invalidRequest("prompt must be a string, [string], or token ids in 0..<\(vocabularySize)", param: "prompt")
                }
                ids.append(Int32(id))
            }
            guard !ids.isEmpty else { throw .invalidRequest("prompt must not be empty", param: "prompt") }
            return .tokens(ids)
        }
        throw .invalidRequest("prompt must be a string, [string] or an array of token ids", param: "prompt")
    }

    static func stopStrings(_ f: JSONFields) throws(APIError) -> [String] {
        guard f.has("stop") else { return [] }
        let list: [String]
        if let one = f.object["stop"] as? String {
            list = [one]
        } else if let many = f.object["stop"] as? [Any], let strings = many as? [String] {
            list = strings
        } else {
            throw .invalidRequest("stop must be a string or an array of strings", param: "stop")
        }
        guard list.count <= maxStopStrings else { throw .invalidRequest("stop holds \(list.count) strings; at most \(maxStopStrings)", param: "stop") }
        for s in list where s.isEmpty || s.unicodeScalars.count > maxStopStringLength {
            throw .invalidRequest("each stop string must have 1…\(maxStopStringLength) characters", param: "stop")
        }
        return list
    }
}
