import AutoGLM
import CAutoGLMSys
import Foundation
import Synchronization

/// The HTTP API: routes each request to its handler. Knows nothing of sockets.
public final class APIService: Sendable {
    public let model: ServedModel
    public let engine: any CompletionEngine
    public let sessions: SessionStore
    public let metrics: ServerMetrics
    /// Session checkpoints; nil when checkpoint_dir is not set.
    public let checkpoints: SessionCheckpoints?
    let limits: ServerLimits
    private let phase = Mutex(ServerPhase.starting)

    public init(model: ServedModel, engine: any CompletionEngine, sessions: SessionStore, metrics: ServerMetrics,
                limits: ServerLimits, checkpoints: SessionCheckpoints? = nil) {
        self.model = model
        self.engine = engine
        self.sessions = sessions
        self.metrics = metrics
        self.limits = limits
        self.checkpoints = checkpoints
    }

    public var currentPhase: ServerPhase { phase.withLock { $0 } }
    public func setPhase(_ new: ServerPhase) { phase.withLock { $0 = new } }

    public func handle(_ request: APIRequest, sink: any ResponseSink) {
        let path = request.path.split(separator: "?", maxSplits: 1).first.map(String.init) ?? request.path
        do {
            switch (request.method, path) {
            case ("GET", "/health"):
                sink.setEndpoint("health")
                let current = currentPhase
                sink.sendJSON(status: current == .ready ? 200 : 503, ["status": current.rawValue])
            case ("GET", "/metrics"):
                sink.setEndpoint("metrics")
                checkpoints?.updateMetrics()
                sink.sendText(status: 200, contentType: "text/plain; version=0.0.4; charset=utf-8", metrics.prometheusText())
            case ("GET", "/v1/models"):
                sink.setEndpoint("models")
                sink.sendJSON(status: 200, ["object": "list", "data": [modelObject()]])
            case ("POST", "/v1/completions"):
                sink.setEndpoint("completions")
                try complete(request, chat: false, sink: sink)
            case ("POST", "/v1/chat/completions"):
                sink.setEndpoint("chat_completions")
                try complete(request, chat: true, sink: sink)
            case ("POST", "/v1/tokenize"):
                sink.setEndpoint("tokenize")
                sink.sendJSON(status: 200, try tokenize(JSONFields(body: request.body)))
            case ("POST", "/v1/detokenize"):
                sink.setEndpoint("detokenize")
                sink.sendJSON(status: 200, try detokenize(JSONFields(body: request.body)))
            case ("POST", "/v1/sessions"):
                sink.setEndpoint("sessions")
                try requireReady()
                let session = try sessions.create(ownerUid: request.peer.uid)
                try saveCreated(session)
                sink.sendJSON(status: 201, sessionObject(session))
            case ("GET", "/v1/sessions"):
                sink.setEndpoint("sessions")
                let own = sessions.all.filter { $0.ownerUid == request.peer.uid }.sorted { $0.createdAt < $1.createdAt }
                sink.sendJSON(status: 200, ["object": "list", "data": own.map(sessionObject)])
            case ("POST", _) where path.hasPrefix(Self.sessionsPrefix) && path.hasSuffix(Self.resumeSuffix):
                sink.setEndpoint("sessions_resume")
                let id = String(path.dropFirst(Self.sessionsPrefix.count).dropLast(Self.resumeSuffix.count))
                try resume(sessionId: id, request, sink: sink)
            case ("GET", _) where path.hasPrefix(Self.sessionsPrefix):
                sink.setEndpoint("sessions")
                let id = String(path.dropFirst(Self.sessionsPrefix.count))
                guard let session = sessions.get(id, uid: request.peer.uid) else { throw sessions.notFound(id, uid: request.peer.uid) }
                sink.sendJSON(status: 200, sessionObject(session))
            case ("DELETE", _) where path.hasPrefix(Self.sessionsPrefix):
                sink.setEndpoint("sessions")
                let id = String(path.dropFirst(Self.sessionsPrefix.count))
                let deleted = try sessions.delete(id, uid: request.peer.uid)
                checkpoints?.removed(deleted)
                engine.releaseSlot(deleted.slot)
                sink.sendJSON(status: 200, ["id": id, "object": "session.deleted", "deleted": true])
            case (_, "/health"), (_, "/metrics"), (_, "/v1/models"), (_, "/v1/completions"), (_, "/v1/chat/completions"),
                 (_, "/v1/tokenize"), (_, "/v1/detokenize"), (_, "/v1/sessions"):
                sink.setEndpoint("other")
                throw APIError.methodNotAllowed(request.method, path: path)
            default:
                sink.setEndpoint("other")
                throw APIError.notFound("no route \(request.method) \(path)", code: "unknown_url")
            }
        } catch let error as APIError {
            sink.send(error)
        } catch {
            sink.send(.internal("\(error)"))
        }
    }

    static let sessionsPrefix = "/v1/sessions/"
    static let resumeSuffix = "/resume"

    /// A session is created only once it is on disk (with checkpoint_dir); otherwise it is
    /// dropped and the client told why.
    private func saveCreated(_ session: Session) throws(APIError) {
        guard let checkpoints else { return }
        do {
            try checkpoints.saveCreated(session, vocabularySize: model.vocabularySize)
        } catch {
            _ = try? sessions.delete(session.id, uid: session.ownerUid)
            checkpoints.removed(session)
            engine.releaseSlot(session.slot)
            throw error
        }
    }

    func requireReady() throws(APIError) {
        switch currentPhase {
        case .ready: return
        case .starting: throw .unavailable("the daemon is starting", code: "starting")
        case .draining: throw .unavailable("the daemon is draining; not taking new requests", code: "draining")
        }
    }

    private func modelObject() -> [String: Any] {
        ["id": model.id, "object": "model", "created": model.created, "owned_by": "autoglm",
         "context_length": model.contextLength, "chat_template": model.template.rawValue,
         "version": AutoGLMVersion.current]
    }

    private func sessionObject(_ s: Session) -> [String: Any] {
        var o: [String: Any] = [
            "id": s.id, "object": "session", "created": Int(s.createdAt.timeIntervalSince1970),
            "last_used": Int(s.lastUsedAt.timeIntervalSince1970), "tokens": s.tokens.count, "turns": s.turns, "busy": s.busy,
            "model": model.id,
            // On disk as it is now: false while checkpoint writes fail, or without checkpoint_dir.
            "durable": checkpoints?.isDurable(s) ?? false]
        if let point = s.resumePoint {
            // What POST …/resume can give: the last request's saved tokens, and whether it still runs on.
            o["last_request"] = ["generated_tokens": point.generated.count, "finished": point.isFinished]
        }
        return o
    }

    // MARK: tokens

    private func tokenize(_ f: JSONFields) throws(APIError) -> [String: Any] {
        let ids: [Int32]
        if f.has("messages") {
            guard let raw = try f.array("messages"), !raw.isEmpty else { throw .invalidRequest("messages must not be empty", param: "messages") }
            var messages: [ChatMessage] = []
            for (i, item) in raw.enumerated() { messages.append(try CompletionRequest.message(item, index: i)) }
            let addPrompt = try f.bool("add_generation_prompt") ?? true
            ids = model.tokenizer.encode(model.template.render(messages, addGenerationPrompt: addPrompt), addBos: false)
        } else {
            guard let text = try f.string("prompt") else { throw .invalidRequest("prompt (a string) or messages is required", param: "prompt") }
            let addSpecial = try f.bool("add_special") ?? true
            ids = model.tokenizer.encode(text, addBos: addSpecial && model.tokenizer.addBosDefault)
        }
        return ["tokens": ids.map(Int.init), "count": ids.count, "max_model_len": model.contextLength]
    }

    private func detokenize(_ f: JSONFields) throws(APIError) -> [String: Any] {
        guard let raw = try f.array("tokens") else { throw .invalidRequest("tokens is required", param: "tokens") }
        var ids: [Int32] = []
        for item in raw {
            guard let number = item as? NSNumber, let id = JSONFields.exactInt(number), id >= 0, id < model.vocabularySize else {
                throw .invalidRequest("tokens must be token ids in 0..<\(model.vocabularySize)", param: "tokens")
            }
            ids.append(Int32(id))
        }
        return ["prompt": model.tokenizer.decode(ids)]
    }

    // MARK: completions

    private func complete(_ request: APIRequest, chat: Bool, sink: any ResponseSink) throws(APIError) {
        try requireReady()
        let fields = try JSONFields(body: request.body)
        let parsed = try CompletionRequest(fields: fields, chat: chat, limits: limits, vocabularySize: model.vocabularySize)
        if let name = parsed.model, !model.answersTo(name) {
            throw .notFound("model \"\(name)\" is not served here; GET /v1/models lists \"\(model.id)\"", code: "model_not_found")
        }
        if parsed.logprobs && !engine.supportsLogprobs {
            throw .invalidRequest("logprobs need the single-sequence engine (engine = \"single\"); the batched engine samples without them",
                                  param: "logprobs", code: "logprobs_unsupported")
        }
        var session: Session?
        if let id = parsed.sessionId { session = try sessions.checkOut(id, uid: request.peer.uid) }
        let prompt: [Int32]
        do {
            prompt = try promptTokens(parsed, session: session)
        } catch {
            if let session { sessions.checkIn(session.id, tokens: nil) }
            throw error
        }
        let start = aglm_monotonic_ns()
        let sessionId = session?.id
        let response = CompletionResponder(chat: chat, model: model.id, request: parsed, sink: sink, metrics: metrics,
                                           startNanoseconds: start, sessionId: sessionId) { [sessions] tokens in
            if let sessionId { sessions.checkIn(sessionId, tokens: tokens) }
        }
        let job = GenerationJob(
            id: response.id, slot: session?.slot ?? 0, cachedTokens: session?.tokens ?? [], promptTokens: prompt,
            maxNewTokens: parsed.maxTokens, sampling: parsed.sampling, stopStrings: parsed.stop, wantsLogprobs: parsed.logprobs,
            priority: parsed.priority,
            deadlineNanoseconds: parsed.deadlineMilliseconds.map { start + UInt64($0) * 1_000_000 },
            enqueuedNanoseconds: start, cancellation: sink.cancellation, checkpointing: session.flatMap(checkpointing),
            onEvent: { event in response.handle(event) })
        do {
            try engine.submit(job)
        } catch {
            if let session { sessions.checkIn(session.id, tokens: nil) }
            throw error
        }
    }

    private func promptTokens(_ r: CompletionRequest, session: Session?) throws(APIError) -> [Int32] {
        let tokenizer = model.tokenizer
        let ids: [Int32]
        switch r.prompt {
        case .text(let text): ids = tokenizer.encode(text, addBos: tokenizer.addBosDefault)
        case .tokens(let given): ids = given
        case .chat(let messages):
            if let session, !session.tokens.isEmpty {
                ids = tokenizer.encode(model.template.renderContinuation(messages, addGenerationPrompt: true), addBos: false)
            } else {
                ids = tokenizer.encode(model.template.render(messages, addGenerationPrompt: true), addBos: false)
            }
        }
        guard !ids.isEmpty else { throw .invalidRequest("the prompt has no tokens", param: "prompt") }
        guard ids.count <= limits.maxPromptTokens else {
            throw .tooLarge("the prompt has \(ids.count) tokens; the limit is \(limits.maxPromptTokens)", param: "messages",
                            code: "prompt_too_long")
        }
        let cached = session?.tokens.count ?? 0
        guard cached + ids.count < model.contextLength else {
            throw .tooLarge("the prompt has \(ids.count) tokens\(cached > 0 ? " after \(cached) in the session" : ""); "
                + "the context holds \(model.contextLength)", param: "messages", code: "context_length_exceeded")
        }
        return ids
    }
}
