/// A multipart/form-data body the upload endpoint cannot accept.
///
/// A struct around a ``Code`` (rather than an enum) so that new codes do not
/// break callers that switch over the existing ones. ``message`` is written
/// for the client: the HTTP layer sends it back in the 400 response body.
public struct MultipartError: Error, Sendable, CustomStringConvertible, Equatable {
    /// What kind of problem the body has.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: Sendable, Hashable {
            case malformed
            case truncated
            case headerTooLarge
            case tooManyParts
        }

        private let base: Base

        private init(_ base: Base) {
            self.base = base
        }

        /// The body does not follow RFC 7578 (bad boundary line, bad part headers, part without a name).
        public static let malformed = Code(.malformed)
        /// The body ended before the closing boundary.
        public static let truncated = Code(.truncated)
        /// A part's header block is larger than ``MultipartParser/Limits/maxHeaderBytes``.
        public static let headerTooLarge = Code(.headerTooLarge)
        /// The body has more parts than ``MultipartParser/Limits/maxParts``.
        public static let tooManyParts = Code(.tooManyParts)

        public var description: String {
            switch self.base {
            case .malformed: "malformed"
            case .truncated: "truncated"
            case .headerTooLarge: "headerTooLarge"
            case .tooManyParts: "tooManyParts"
            }
        }
    }

    /// The kind of problem.
    public let code: Code
    /// A short, client-facing explanation.
    public let message: String

    /// Creates an error with a code and a client-facing message.
    public init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String {
        "Invalid multipart/form-data body: \(self.message)"
    }

    static func malformed(_ message: String) -> Self {
        Self(code: .malformed, message: message)
    }
}
