import Crypto
import Foundation

/// Credentials found on a request.
public enum Credentials: Sendable, Equatable {
    case bearer(token: String)
    case basic(user: String, password: String)

    /// Parses an `Authorization` header: `Bearer <token>` or `Basic <base64(user:password)>`.
    public init?(authorization: String) {
        let parts = authorization.split(separator: " ", maxSplits: 1)
        guard parts.count == 2 else { return nil }
        let scheme = parts[0].lowercased()
        let value = parts[1].trimmingASCIISpaces
        switch scheme {
        case "bearer":
            guard !value.isEmpty else { return nil }
            self = .bearer(token: value)
        case "basic":
            guard let data = Data(base64Encoded: value), let decoded = String(data: data, encoding: .utf8),
                let colon = decoded.firstIndex(of: ":")
            else { return nil }
            self = .basic(user: String(decoded[..<colon]), password: String(decoded[decoded.index(after: colon)...]))
        default:
            return nil
        }
    }

    /// The secret that may be a token: the bearer token, or the Basic password (`__token__`/user + token),
    /// or the Basic user name when the password is empty: pip users write `https://TOKEN@host/simple/`.
    public var tokenCandidate: String {
        switch self {
        case .bearer(let token): token
        case .basic(let user, let password): password.isEmpty ? user : password
        }
    }

    /// The user a Basic login names: nil for a bearer token, `__token__`, or a token in the user field.
    public var userName: String? {
        guard case .basic(let user, let password) = self, !user.isEmpty, user != "__token__", !password.isEmpty else { return nil }
        return user
    }

    /// Who a failed login claimed to be, safe for the audit log: the user field is logged only when it
    /// names an existing user (`isUser`), because people type tokens and passwords into it.
    public func auditActor(isUser: Bool) -> String {
        guard case .basic(let user, _) = self, !user.isEmpty else { return "unknown" }
        if user == "__token__" { return user }
        if user.hasPrefix("whk_") { return "whk_…" }
        return isUser ? user : "unknown"
    }
}

public enum TokenHash {
    /// Tokens carry 256 random bits, so a fast hash is enough to store them (no password hashing needed).
    public static func hash(_ token: String) -> String {
        SHA256.hash(data: Array(token.utf8)).map { String($0, radix: 16).leftPad2 }.joined()
    }

    /// A new token: a recognizable prefix and 256 random bits, url-safe base64.
    public static func generate() -> String {
        var rng = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &rng) }
        let b64 = Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
        return "whk_" + b64
    }
}
