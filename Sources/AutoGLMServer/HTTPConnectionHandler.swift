import Dispatch
import Foundation
import NIOCore
import NIOHTTP1
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// One HTTP/1.1 connection: checks the peer's credentials, enforces the request read
/// timeout (a client that trickles its headers — slowloris — is cut off) and the body
/// limit, then hands each complete request to the APIService off the event loop.
///
/// A client that sends its request and then shuts its side down (`shutdown(SHUT_WR)`,
/// as `nc -N` or a one-shot script does) still gets its answer: the channel allows remote
/// half-closure, and the connection closes once the response is written. A client that
/// sends `Expect: 100-continue` (curl does for large bodies, then waits a second) is told
/// `100 Continue` before the body.
final class HTTPConnectionHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let service: APIService
    let access: PeerAccess
    let limits: ServerLimits

    private var peer: PeerIdentity?
    private var head: HTTPRequestHead?
    private var body: [UInt8] = []
    private var rejectingBody = false
    private var readTimeout: Scheduled<Void>?
    private var current: ConnectionResponse?
    /// A complete request is with the APIService and its response not yet fully written.
    private var answering = false
    /// The client shut down its sending side: after the response in progress, close.
    private var inputClosed = false

    init(service: APIService, access: PeerAccess, limits: ServerLimits) {
        self.service = service
        self.access = access
        self.limits = limits
    }

    func channelActive(context: ChannelHandlerContext) {
        peer = access.identify(context.channel)
        armReadTimeout(context: context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        readTimeout?.cancel()
        current?.clientWentAway()
        current = nil
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let requestHead):
            head = requestHead
            body = []
            rejectingBody = false
            let response = ConnectionResponse(channel: context.channel, keepAlive: requestHead.isKeepAlive,
                                              metrics: service.metrics, phase: service)
            current = response
            if let length = requestHead.headers.first(name: "content-length").flatMap(Int.init), length > limits.maxBodyBytes {
                rejectBody(response, bytes: length)
            } else if Self.expectsContinue(requestHead) {
                context.writeAndFlush(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .continue))), promise: nil)
            }
        case .body(var buffer):
            guard !rejectingBody, let response = current else { return }
            if body.count + buffer.readableBytes > limits.maxBodyBytes {
                rejectBody(response, bytes: body.count + buffer.readableBytes)
                return
            }
            body.append(contentsOf: buffer.readBytes(length: buffer.readableBytes) ?? [])
        case .end:
            readTimeout?.cancel()
            guard let requestHead = head, let response = current, !rejectingBody else { return }
            head = nil
            answering = true
            if inputClosed { response.closeAfterResponse() }
            guard let peer, access.allows(peer) else {
                response.setEndpoint("other")
                response.send(.forbidden("peer uid \(peer?.uid ?? 0) / gid \(peer?.gid ?? 0) is not allowed on this socket"))
                return
            }
            let request = APIRequest(method: requestHead.method.rawValue, path: requestHead.uri, body: body, peer: peer)
            body = []
            let service = self.service
            DispatchQueue.global().async { service.handle(request, sink: response) }
        }
    }

    /// Answers 413 now and closes after it: the rest of the body is not read.
    private func rejectBody(_ response: ConnectionResponse, bytes: Int) {
        rejectingBody = true
        answering = true
        body = []
        response.closeAfterResponse()
        response.setEndpoint("other")
        response.send(.tooLarge("the request body has \(bytes) bytes; the limit is \(limits.maxBodyBytes)", code: "body_too_large"))
    }

    /// A request head and body must arrive within the read timeout, counted from the
    /// connection's start or from the end of the previous response.
    private func armReadTimeout(context: ChannelHandlerContext) {
        readTimeout?.cancel()
        let channel = context.channel
        readTimeout = context.eventLoop.scheduleTask(in: .milliseconds(Int64(limits.headerTimeoutMilliseconds))) {
            channel.close(promise: nil)
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ResponseFinished {
            answering = false
            // Half-closed: no further request can come.
            if inputClosed { context.close(promise: nil) } else { armReadTimeout(context: context) }
        } else if let event = event as? ChannelEvent, event == .inputClosed {
            inputClosed = true
            // A request being answered is answered, then the connection closes; with none,
            // nothing more can arrive, so it closes now.
            if answering { current?.closeAfterResponse() } else { context.close(promise: nil) }
        }
        context.fireUserInboundEventTriggered(event)
    }

    /// An HTTP/1.1 request announcing `Expect: 100-continue` before its body.
    static func expectsContinue(_ head: HTTPRequestHead) -> Bool {
        (head.version.major, head.version.minor) >= (1, 1) && head.headers["expect"].contains { $0.lowercased() == "100-continue" }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }
}

/// Fired through the pipeline when a response has been written in full.
struct ResponseFinished {}

/// The ResponseSink of one request: writes on the channel's event loop from any thread.
final class ConnectionResponse: ResponseSink, @unchecked Sendable {
    let channel: Channel
    let metrics: ServerMetrics
    let cancellation = CancellationFlag()
    private let phase: APIService
    private struct State {
        var endpoint = "other"
        var keepAlive: Bool
        var headSent = false
        var finished = false
    }
    private let state: Mutex<State>

    init(channel: Channel, keepAlive: Bool, metrics: ServerMetrics, phase: APIService) {
        self.channel = channel
        self.metrics = metrics
        self.phase = phase
        state = Mutex(State(keepAlive: keepAlive))
    }

    func setEndpoint(_ name: String) { state.withLock { $0.endpoint = name } }
    func closeAfterResponse() { state.withLock { $0.keepAlive = false } }

    /// The connection closed before the response ended: stop the generation.
    func clientWentAway() {
        cancellation.cancel()
        let unanswered = state.withLock { s -> String? in
            defer { s.finished = true }
            return s.headSent ? nil : s.endpoint
        }
        // 499: nginx's "client closed request", so every request is counted once.
        if let endpoint = unanswered { metrics.countRequest(endpoint: endpoint, status: 499) }
    }

    func sendJSON(status: Int, _ object: Any) {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.withoutEscapingSlashes])) ?? Data("{}".utf8)
        sendBody(status: status, contentType: "application/json", bytes: Array(data) + [UInt8(ascii: "\n")])
    }

    func sendText(status: Int, contentType: String, _ text: String) {
        sendBody(status: status, contentType: contentType, bytes: Array(text.utf8))
    }

    private func sendBody(status: Int, contentType: String, bytes: [UInt8]) {
        guard let keepAlive = beginResponse(status: status) else { return }
        let headers = HTTPHeaders([("content-type", contentType), ("content-length", String(bytes.count)),
                                   ("connection", keepAlive ? "keep-alive" : "close")])
        let channel = self.channel
        channel.eventLoop.execute {
            channel.write(HTTPServerResponsePart.head(HTTPResponseHead(version: .http1_1, status: .init(statusCode: status), headers: headers)),
                          promise: nil)
            channel.write(HTTPServerResponsePart.body(.byteBuffer(channel.allocator.buffer(bytes: bytes))), promise: nil)
            Self.end(channel, keepAlive: keepAlive)
        }
    }

    func startEventStream() {
        guard let keepAlive = beginResponse(status: 200) else { return }
        let headers = HTTPHeaders([("content-type", "text/event-stream"), ("cache-control", "no-cache"),
                                   ("transfer-encoding", "chunked"), ("connection", keepAlive ? "keep-alive" : "close")])
        let channel = self.channel
        channel.eventLoop.execute {
            channel.writeAndFlush(HTTPServerResponsePart.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers)),
                                  promise: nil)
        }
    }

    func sendEvent(_ payload: String) {
        guard !state.withLock({ $0.finished }) else { return }
        let bytes = Array("data: \(payload)\n\n".utf8)
        let channel = self.channel
        channel.eventLoop.execute {
            channel.writeAndFlush(HTTPServerResponsePart.body(.byteBuffer(channel.allocator.buffer(bytes: bytes))), promise: nil)
        }
    }

    func endEventStream() {
        sendEvent("[DONE]")
        let keepAlive: Bool? = state.withLock { s in
            guard !s.finished else { return nil }
            s.finished = true
            return s.keepAlive
        }
        guard let keepAlive else { return }
        let channel = self.channel
        channel.eventLoop.execute { Self.end(channel, keepAlive: keepAlive) }
    }

    /// Marks the head as sent and counts the request; nil if a response was already
    /// sent or the client is gone.
    private func beginResponse(status: Int) -> Bool? {
        let result: (String, Bool)? = state.withLock { s in
            guard !s.headSent, !s.finished else { return nil }
            s.headSent = true
            if phase.currentPhase == .draining { s.keepAlive = false }
            return (s.endpoint, s.keepAlive)
        }
        guard let (endpoint, keepAlive) = result else { return nil }
        metrics.countRequest(endpoint: endpoint, status: status)
        return keepAlive
    }

    private static func end(_ channel: Channel, keepAlive: Bool) {
        channel.writeAndFlush(HTTPServerResponsePart.end(nil)).whenComplete { _ in
            if keepAlive {
                channel.pipeline.fireUserInboundEventTriggered(ResponseFinished())
            } else {
                channel.close(promise: nil)
            }
        }
    }
}
