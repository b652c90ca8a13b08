import Foundation

/// An error that knows how it reaches a client: an HTTP status and a client-facing message.
///
/// Modelled on postgres-nio's `PSQLError`: a struct around a `Code`, so new codes don't break callers.
public struct WheelhouseError: Error, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        let raw: String
        public var description: String { raw }

        public static let badRequest = Code(raw: "badRequest")
        public static let unauthorized = Code(raw: "unauthorized")
        public static let forbidden = Code(raw: "forbidden")
        public static let notFound = Code(raw: "notFound")
        public static let methodNotAllowed = Code(raw: "methodNotAllowed")
        public static let notAcceptable = Code(raw: "notAcceptable")
        public static let conflict = Code(raw: "conflict")
        public static let payloadTooLarge = Code(raw: "payloadTooLarge")
        public static let tooManyRequests = Code(raw: "tooManyRequests")
        public static let internalError = Code(raw: "internalError")
        public static let badGateway = Code(raw: "badGateway")
        /// The upstream could not be reached at all (refused, reset, DNS): answered as 502.
        public static let upstreamUnreachable = Code(raw: "upstreamUnreachable")
        public static let unavailable = Code(raw: "unavailable")
        public static let gatewayTimeout = Code(raw: "gatewayTimeout")
        /// The server's storage is full (ENOSPC, EDQUOT, SQLite's "database or disk is full"): 507.
        public static let insufficientStorage = Code(raw: "insufficientStorage")
    }

    public let code: Code
    /// Client-facing text: it ends up in the JSON `error` field, the HTML body and (short) the reason phrase.
    public let message: String
    /// Extra response headers, e.g. `WWW-Authenticate` or `Retry-After`.
    public var headers: [(String, String)]

    public init(_ code: Code, _ message: String, headers: [(String, String)] = []) {
        self.code = code
        self.message = message
        self.headers = headers
    }

    public var status: Int {
        switch code {
        case .badRequest: 400
        case .unauthorized: 401
        case .forbidden: 403
        case .notFound: 404
        case .methodNotAllowed: 405
        case .notAcceptable: 406
        case .conflict: 409
        case .payloadTooLarge: 413
        case .tooManyRequests: 429
        case .badGateway, .upstreamUnreachable: 502
        case .unavailable: 503
        case .gatewayTimeout: 504
        case .insufficientStorage: 507
        default: 500
        }
    }

    public var description: String { "\(status) \(message)" }

    /// The storage cannot take more bytes while `doing` (e.g. "writing the upload"). 507: the
    /// client did nothing wrong and may retry later; twine retries 5xx, and nothing was stored.
    public static func insufficientStorage(_ doing: String) -> WheelhouseError {
        .init(.insufficientStorage, "insufficient storage on the server while \(doing)")
    }

    /// Whether `errno` means the storage is full: no space left (ENOSPC) or over a quota (EDQUOT).
    public static func isOutOfSpace(errno code: Int32) -> Bool {
        code == ENOSPC || code == EDQUOT
    }

    public static func badRequest(_ message: String) -> WheelhouseError { .init(.badRequest, message) }
    public static func notFound(_ message: String) -> WheelhouseError { .init(.notFound, message) }
    public static func conflict(_ message: String) -> WheelhouseError { .init(.conflict, message) }
    public static func forbidden(_ message: String) -> WheelhouseError { .init(.forbidden, message) }

    /// pip and twine only prompt for (or retry with) credentials after a 401 that carries this header.
    public static func unauthorized(_ message: String = "authentication required") -> WheelhouseError {
        .init(.unauthorized, message, headers: [("WWW-Authenticate", "Basic realm=\"wheelhouse\"")])
    }
}
