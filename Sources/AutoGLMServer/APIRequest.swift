/// One HTTP request as the API handlers see it: already size-checked and complete.
public struct APIRequest: Sendable {
    public var method: String
    public var path: String
    public var body: [UInt8]
    public var peer: PeerIdentity
}

/// Where a handler writes its answer: one JSON response, or an SSE stream. The NIO
/// connection handler implements it; calls may come from any thread.
public protocol ResponseSink: AnyObject, Sendable {
    /// Route name for autoglm_requests_total{endpoint=…}.
    func setEndpoint(_ name: String)
    func sendJSON(status: Int, _ object: Any)
    func sendText(status: Int, contentType: String, _ text: String)
    func startEventStream()
    /// One SSE event: `data: <payload>\n\n`.
    func sendEvent(_ payload: String)
    /// Ends the stream after `data: [DONE]`.
    func endEventStream()
    /// Set when the client disconnects: the engine stops generating for it.
    var cancellation: CancellationFlag { get }
}

extension ResponseSink {
    func send(_ error: APIError) { sendJSON(status: error.status, error.jsonObject) }
}
