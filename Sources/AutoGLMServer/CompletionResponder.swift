import CAutoGLMSys
import Foundation

/// Turns one job's engine events into OpenAI's response: a single JSON object, or SSE
/// chunks ending in `data: [DONE]`. Events arrive in order on the engine thread.
// @unchecked: `collected` is touched only from handle(_:), which the engine calls from its
// one thread, one event after another.
final class CompletionResponder: @unchecked Sendable {
    let id: String
    let chat: Bool
    let model: String
    let stream: Bool
    let includeUsage: Bool
    let logprobs: Bool
    /// Each token's id goes into its chunk as "token_id" (and "token_ids" of a whole
    /// response): a client that lost its stream resumes by token index.
    let returnTokenIds: Bool
    let sink: any ResponseSink
    let metrics: ServerMetrics
    let startNanoseconds: UInt64
    let sessionId: String?
    let created = Int(Date().timeIntervalSince1970)
    /// Called once at the end with the tokens now in the KV slot (nil on failure).
    let onEnd: @Sendable ([Int32]?) -> Void

    private struct Collected {
        var text = ""
        var tokens: [[String: Any]] = []  // logprob entries
        var ids: [Int] = []
        var streamStarted = false
    }
    private var collected = Collected()

    convenience init(chat: Bool, model: String, request: CompletionRequest, sink: any ResponseSink, metrics: ServerMetrics,
                     startNanoseconds: UInt64, sessionId: String?, onEnd: @escaping @Sendable ([Int32]?) -> Void) {
        self.init(chat: chat, model: model, stream: request.stream, includeUsage: request.includeUsage, logprobs: request.logprobs,
                  returnTokenIds: request.returnTokenIds, sink: sink, metrics: metrics, startNanoseconds: startNanoseconds,
                  sessionId: sessionId, onEnd: onEnd)
    }

    init(chat: Bool, model: String, stream: Bool, includeUsage: Bool, logprobs: Bool, returnTokenIds: Bool, sink: any ResponseSink,
         metrics: ServerMetrics, startNanoseconds: UInt64, sessionId: String?, onEnd: @escaping @Sendable ([Int32]?) -> Void) {
        id = (chat ? "chatcmpl-" : "cmpl-") + UUID().uuidString.lowercased()
        self.chat = chat
        self.model = model
        self.stream = stream
        self.includeUsage = includeUsage
        self.logprobs = logprobs
        self.returnTokenIds = returnTokenIds
        self.sink = sink
        self.metrics = metrics
        self.startNanoseconds = startNanoseconds
        self.sessionId = sessionId
        self.onEnd = onEnd
    }

    func handle(_ event: EngineEvent) {
        switch event {
        case .started:
            if stream {
                collected.streamStarted = true
                sink.startEventStream()
                if chat { sendChunk(delta: ["role": "assistant", "content": ""], logprobs: nil, finishReason: nil) }
            }
        case .token(let token):
            let entry = logprobEntry(token)
            let tokenId = returnTokenIds && token.id >= 0 ? Int(token.id) : nil
            if stream {
                if !token.text.isEmpty || entry != nil || tokenId != nil {
                    sendChunk(delta: ["content": token.text], logprobs: entry, finishReason: nil, tokenId: tokenId)
                }
            } else {
                collected.text += token.text
                if let entry { collected.tokens.append(entry) }
                if let tokenId { collected.ids.append(tokenId) }
            }
        case .finished(let summary):
            metrics.requestDuration.recordNanoseconds(Int64(aglm_monotonic_ns() - startNanoseconds))
            onEnd(summary.tokensInCache)
            let usage = usageObject(summary)
            if stream {
                sendChunk(delta: [:], logprobs: nil, finishReason: summary.finishReason)
                if includeUsage { sendEvent(base(object: chunkObjectName).merging(["choices": [], "usage": usage]) { $1 }) }
                sink.endEventStream()
            } else {
                let (text, entries) = (collected.text, collected.tokens)
                var choice: [String: Any] = ["index": 0, "finish_reason": summary.finishReason]
                if returnTokenIds { choice["token_ids"] = collected.ids }
                if chat {
                    choice["message"] = ["role": "assistant", "content": text]
                    choice["logprobs"] = logprobs ? ["content": entries] as Any : NSNull()
                } else {
                    choice["text"] = text
                    choice["logprobs"] = logprobs ? completionLogprobs(entries) as Any : NSNull()
                }
                var object = base(object: chat ? "chat.completion" : "text_completion")
                object["choices"] = [choice]
                object["usage"] = usage
                sink.sendJSON(status: 200, object)
            }
        case .failed(let error):
            onEnd(nil)
            if collected.streamStarted {
                sendEvent(error.jsonObject)
                sink.endEventStream()
            } else {
                sink.send(error)
            }
        }
    }

    private var chunkObjectName: String { chat ? "chat.completion.chunk" : "text_completion" }

    private func base(object: String) -> [String: Any] {
        var o: [String: Any] = ["id": id, "object": object, "created": created, "model": model]
        if let sessionId { o["session_id"] = sessionId }
        return o
    }

    private func usageObject(_ s: GenerationSummary) -> [String: Any] {
        // prompt_tokens counts the whole conversation the model saw, as OpenAI's does;
        // cached_tokens says how much of it came from the session's KV cache.
        ["prompt_tokens": s.promptTokens + s.cachedTokens, "completion_tokens": s.completionTokens,
         "total_tokens": s.promptTokens + s.cachedTokens + s.completionTokens,
         "prompt_tokens_details": ["cached_tokens": s.cachedTokens]]
    }

    private func logprobEntry(_ token: GeneratedToken) -> [String: Any]? {
        guard logprobs, let lp = token.logprob else { return nil }
        return ["token": token.tokenText, "logprob": Double(lp), "bytes": Array(token.tokenText.utf8).map(Int.init),
                "top_logprobs": [Any]()]
    }

    private func completionLogprobs(_ entries: [[String: Any]]) -> [String: Any] {
        ["tokens": entries.map { $0["token"]! }, "token_logprobs": entries.map { $0["logprob"]! },
         "top_logprobs": NSNull(), "text_offset": [Int]()]
    }

    private func sendChunk(delta: [String: Any], logprobs entry: [String: Any]?, finishReason: String?, tokenId: Int? = nil) {
        var choice: [String: Any] = ["index": 0, "finish_reason": finishReason as Any? ?? NSNull()]
        if let tokenId { choice["token_id"] = tokenId }
        if chat {
            choice["delta"] = delta
            choice["logprobs"] = entry.map { ["content": [$0]] as Any } ?? NSNull()
        } else {
            choice["text"] = delta["content"] ?? ""
            choice["logprobs"] = entry.map { completionLogprobs([$0]) as Any } ?? NSNull()
        }
        var object = base(object: chunkObjectName)
        object["choices"] = [choice]
        sendEvent(object)
    }

    private func sendEvent(_ object: [String: Any]) {
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.withoutEscapingSlashes]) else { return }
        sink.sendEvent(String(decoding: data, as: UTF8.self))
    }
}
