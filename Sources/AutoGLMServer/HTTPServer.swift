import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix

/// The listening sockets: the Unix socket always, loopback TCP when configured.
public final class HTTPServer: Sendable {
    let group: MultiThreadedEventLoopGroup
    let channels: [Channel]
    public let socketPath: String
    public let tcpPort: Int?

    /// Event-loop threads: the HTTP work is light, the engine has its own thread.
    static let eventLoopThreads = 1
    static let listenBacklog: Int32 = 256

    public init(config: DaemonConfig, service: APIService, logger: Logger) async throws {
        let path = config.resolvedSocketPath()
        try UnixSocketFile.prepare(path)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: Self.eventLoopThreads)
        let access = PeerAccess(allowedUids: config.allowedUids, allowedGids: config.allowedGids)
        let limits = config.limits
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: Self.listenBacklog)
            // A client's shutdown(SHUT_WR) after its request must not close the connection
            // before the answer is written (HTTPConnectionHandler handles inputClosed).
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(
                        HTTPConnectionHandler(service: service, access: access, limits: limits))
                }
            }
        var channels: [Channel] = []
        do {
            channels.append(try await bootstrap.bind(unixDomainSocketPath: path).get())
            try UnixSocketFile.setPermissions(path, mode: config.socketMode, group: config.socketGroup)
            if let port = config.tcpPort {
                let tcp = try await bootstrap.serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                    .bind(host: "127.0.0.1", port: port).get()
                channels.append(tcp)
                let bound = tcp.localAddress?.port ?? port
                logger.warning("INSECURE: loopback TCP listener on 127.0.0.1:\(bound) (allow_insecure_tcp = true): any local user can connect and acts as uid \(getuid()); development only")
            }
        } catch {
            for channel in channels { try? await channel.close() }
            try? await group.shutdownGracefully()
            throw error
        }
        self.group = group
        self.channels = channels
        socketPath = path
        tcpPort = channels.count > 1 ? channels[1].localAddress?.port : nil
        logger.info("listening", metadata: ["socket": "\(path)", "tcp": "\(tcpPort.map { "127.0.0.1:\($0)" } ?? "off")"])
    }

    /// Stops accepting connections and removes the socket file.
    public func close() async {
        for channel in channels { try? await channel.close() }
        try? await group.shutdownGracefully()
        _ = socketPath.withCString { unlink($0) }
    }
}
