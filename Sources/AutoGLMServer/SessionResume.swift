import AutoGLM
import CAutoGLMSys
import Foundation

/// POST /v1/sessions/{id}/resume: a client that lost its stream — the daemon was killed
/// and restarted, or the connection broke — names the session and the index of the last
/// generated token it received, and gets the rest of the session's last request: the
/// saved tokens after that index, then, if the request had not ended, its continuation
/// (computed from the checkpoint with the saved sampler state, so greedy and seeded
/// sampling give exactly the tokens of the uninterrupted run).
extension APIService {
    /// How the engine checkpoints a request of `session`; nil without checkpoints. The
    /// first request of a recovered session reads its pages from disk here.
    func checkpointing(_ session: Session) -> JobCheckpointing? {
        guard let checkpoints else { return nil }
        let key = SessionCheckpoints.key(sessionId: session.id, ownerUid: session.ownerUid)
        let pages = session.resumePoint?.onDisk.flatMap { d in checkpoints.readPages(d).map { (checkpoint: d, bytes: $0) } }
        let id = session.id
        return JobCheckpointing(writer: checkpoints.writer, key: key, note: { [sessions] in sessions.noteCheckpoint(id, $0) },
                                pages: pages)
    }

    func resume(sessionId id: String, _ request: APIRequest, sink: any ResponseSink) throws(APIError) {
        try requireReady()
        let f = try JSONFields(body: request.body)
        guard let last = try f.int("last_token_index", in: -1...RuntimeLimits.maxSupportedContext) else {
            throw .invalidRequest("last_token_index (index of the last generated token received, -1 for none) is required",
                                  param: "last_token_index")
        }
        let stream = try f.bool("stream") ?? false
        let priority = try f.int("priority", in: CompletionRequest.priorityRange) ?? 0
        let session = try sessions.checkOut(id, uid: request.peer.uid)
        guard let point = session.resumePoint, !point.generated.isEmpty || !point.isFinished else {
            sessions.checkIn(id, tokens: nil)
            throw APIError(status: 409, type: "invalid_request_error", code: "nothing_to_resume",
                           message: "session \(id) has no saved request to resume")
        }
        let start = aglm_monotonic_ns()
        let ended = point.isFinished
        let response = CompletionResponder(chat: true, model: model.id, stream: stream, includeUsage: false, logprobs: false,
                                           returnTokenIds: true, sink: sink, metrics: metrics, startNanoseconds: start,
                                           sessionId: id) { [sessions] tokens in
            sessions.checkIn(id, tokens: tokens, endsTurn: !ended)
        }
        if ended {
            replay(point, after: last, history: session.tokens, to: response)
            return
        }
        let c = point.checkpoint
        let job = GenerationJob(
            id: response.id, slot: session.slot, cachedTokens: Array(c.tokens[..<c.generation.promptCount]), promptTokens: [],
            maxNewTokens: c.generation.maxNewTokens, sampling: c.sampler.config, stopStrings: [], wantsLogprobs: false,
            priority: priority, deadlineNanoseconds: nil, enqueuedNanoseconds: start, cancellation: sink.cancellation,
            checkpointing: checkpointing(session), resume: JobResume(checkpoint: c, lastReceivedIndex: last),
            onEvent: { event in response.handle(event) })
        do {
            try engine.submit(job)
        } catch {
            sessions.checkIn(id, tokens: nil)
            throw error
        }
    }

    /// A request that ended: its saved tokens after `last`, as a response of their own.
    private func replay(_ point: ResumePoint, after last: Int, history: [Int32], to response: CompletionResponder) {
        let tokenizer = model.tokenizer
        var detokenizer = StreamingDetokenizer(tokenizer: tokenizer, atSequenceStart: false)
        response.handle(.started(promptTokens: 0, cachedTokens: point.checkpoint.generation.promptCount))
        var endToken = false
        var completion = 0
        for (i, token) in point.generated.enumerated() {
            if tokenizer.isEndOfGeneration(token) { endToken = true; break }
            completion += 1
            // Earlier tokens go through the detokenizer too, so that text split across
            // tokens comes out whole.
            let text = tokenizer.tokenType(token) == .control ? "" : detokenizer.push(token)
            if i > last {
                response.handle(.token(GeneratedToken(id: token, text: text,
                                                      tokenText: String(decoding: tokenizer.tokenBytes(token), as: UTF8.self), logprob: nil)))
            }
        }
        let tail = detokenizer.flush()
        if !tail.isEmpty { response.handle(.token(GeneratedToken(id: -1, text: tail, tokenText: "", logprob: nil))) }
        response.handle(.finished(GenerationSummary(finishReason: endToken ? "stop" : "length", promptTokens: 0,
                                                    cachedTokens: point.checkpoint.generation.promptCount,
                                                    completionTokens: completion, tokensInCache: history)))
    }
}
