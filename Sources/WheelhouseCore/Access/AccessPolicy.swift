/// The access decision, pure: what a principal may do on a repository.
///
/// - A server admin has `admin` everywhere; another user has what they were granted.
/// - `anonymousRead` gives everyone, signed in or not, `read`.
/// - A token's rights are its scopes intersected with its user's rights.
public enum AccessPolicy {
    public static func level(
        of principal: Principal?, on repository: String, grant: AccessLevel?, anonymousRead: Bool
    ) -> AccessLevel? {
        let floor: AccessLevel? = anonymousRead ? .read : nil
        guard let principal else { return floor }
        var userLevel = principal.isAdmin ? AccessLevel.admin : grant
        if let scopes = principal.scopes {
            let scoped = scopes.filter { Glob.matches($0.repository, repository) }.map(\.level).max()
            userLevel = min(userLevel, scoped)
        }
        return max(userLevel, floor)
    }

    /// Server-wide actions (creating repositories, users, reading the audit log) need an admin user
    /// and, for a scoped token, a scope that grants `admin` on every repository (`*`).
    public static func isServerAdmin(_ principal: Principal?) -> Bool {
        guard let principal, principal.isAdmin else { return false }
        guard let scopes = principal.scopes else { return true }
        return scopes.contains { $0.repository == "*" && $0.level == .admin }
    }
}

func min(_ a: AccessLevel?, _ b: AccessLevel?) -> AccessLevel? {
    guard let a, let b else { return nil }
    return Swift.min(a, b)
}

func max(_ a: AccessLevel?, _ b: AccessLevel?) -> AccessLevel? {
    guard let a else { return b }
    guard let b else { return a }
    return Swift.max(a, b)
}

/// Shell-style patterns for repository names and project names: `*` any run, `?` one character.
public enum Glob {
    public static func matches(_ pattern: String, _ name: String) -> Bool {
        let p = Array(pattern.utf8), s = Array(name.utf8)
        var pi = 0, si = 0, star = -1, mark = 0
        while si < s.count {
            if pi < p.count, p[pi] == UInt8(ascii: "?") || p[pi] == s[si] {
                pi += 1
                si += 1
            } else if pi < p.count, p[pi] == UInt8(ascii: "*") {
                star = pi
                mark = si
                pi += 1
            } else if star >= 0 {
                pi = star + 1
                mark += 1
                si = mark
            } else {
                return false
            }
        }
        while pi < p.count, p[pi] == UInt8(ascii: "*") { pi += 1 }
        return pi == p.count
    }
}
