import Foundation

/// An error a client sees: an HTTP status and OpenAI's error object
/// `{"error": {"message", "type", "param", "code"}}`.
public struct APIError: Error, Equatable, Sendable {
    public var status: Int
    public var type: String
    public var code: String
    public var message: String
    public var param: String?

    public init(status: Int, type: String, code: String, message: String, param: String? = nil) {
        self.status = status
        self.type = type
        self.code = code
        self.message = message
        self.param = param
    }

    public var jsonObject: [String: Any] {
        ["error": ["message": message, "type": type, "param": param as Any? ?? NSNull(), "code": code]]
    }

    // The statuses the API documents (README, "Errors").
    static func invalidRequest(_ message: String, param: String? = nil, code: String = "invalid_request") -> APIError {
        APIError(status: 400, type: "invalid_request_error", code: code, message: message, param: param)
    }
    static func tooLarge(_ message: String, param: String? = nil, code: String) -> APIError {
        APIError(status: 413, type: "invalid_request_error", code: code, message: message, param: param)
    }
    static func overCapacity(_ message: String, code: String) -> APIError {
        APIError(status: 429, type: "rate_limit_error", code: code, message: message)
    }
    static func unavailable(_ message: String, code: String) -> APIError {
        APIError(status: 503, type: "server_error", code: code, message: message)
    }
    /// The daemon could not write what it must have on disk before answering (a session's
    /// checkpoint on a full or read-only disk): nothing was created.
    static func insufficientStorage(_ message: String, code: String) -> APIError {
        APIError(status: 507, type: "server_error", code: code, message: message)
    }
    static func deadlineExceeded(_ message: String) -> APIError {
        APIError(status: 504, type: "server_error", code: "deadline_exceeded", message: message)
    }
    static func notFound(_ message: String, code: String = "not_found") -> APIError {
        APIError(status: 404, type: "invalid_request_error", code: code, message: message)
    }
    static func forbidden(_ message: String) -> APIError {
        APIError(status: 403, type: "permission_error", code: "peer_not_allowed", message: message)
    }
    static func methodNotAllowed(_ method: String, path: String) -> APIError {
        APIError(status: 405, type: "invalid_request_error", code: "method_not_allowed", message: "\(method) is not allowed on \(path)")
    }
    static func `internal`(_ message: String) -> APIError {
        APIError(status: 500, type: "server_error", code: "internal_error", message: message)
    }
}
