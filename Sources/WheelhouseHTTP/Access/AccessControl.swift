import Foundation
import Hummingbird
import Logging
import NIOConcurrencyHelpers
import NIOPosix
import WheelhouseCore

/// Authentication and authorization of every request.
///
/// Credentials come the ways clients send them: `Bearer <token>`; Basic with a token as password and
/// `__token__` or the token's owner as user (twine, and pip's `https://user:token@host/...`); Basic with
/// the token as user and no password (pip's `https://token@host/...`); Basic with a user's password
/// (people; can be switched off). A token is checked first and only failures are limited: per client
/// address, and per user name for password logins (`FailedAuthLimiter`). Failures under the bound are
/// audited one by one; over it they are answered 429 without further lookups, and audited once per
/// address and window (`login.limited`).
public final class AccessControl: Sendable {
    let metadata: any MetadataStore
    let audit: AuditLog
    let passwordLogin: Bool
    let limiter = NIOLockedValueBox(FailedAuthLimiter())
    let tokenUses = NIOLockedValueBox([String: Date]())
    /// Successful password checks for a minute, keyed by a digest of user and password, with the stored
    /// hash they were checked against: pip sends the password with every request and scrypt is slow on
    /// purpose. The stored hash is read on every such request, so a changed password misses the cache
    /// on every node at once.
    let passwordCache = NIOLockedValueBox([String: (userID: Int64, stored: String, until: Date)]())

    public init(metadata: any MetadataStore, audit: AuditLog, passwordLogin: Bool = true, limiter: FailedAuthLimiter = .init()) {
        self.metadata = metadata
        self.audit = audit
        self.passwordLogin = passwordLogin
        self.limiter.withLockedValue { $0 = limiter }
    }

    /// What checking a credential found.
    enum Check {
        case valid(Principal)
        case invalid
        /// Not checked further because its address or user name is over its bound.
        case limited(Int)
    }

    /// The principal of the request; nil when anonymous. Throws 401 for bad credentials, 429 when a
    /// failed attempt comes from a limited address (or names a limited user).
    func authenticate(_ request: Request, context: WheelhouseContext) async throws -> Principal? {
        guard let header = request.headers[.authorization] else { return nil }
        guard let credentials = Credentials(authorization: header) else {
            throw WheelhouseError.unauthorized("unsupported Authorization header: use Bearer or Basic")
        }
        let now = Date()
        let address = context.remoteAddress ?? "?"
        switch try await check(credentials, address: address, now: now) {
        case .valid(let principal):
            return principal
        case .limited(let wait):
            try await refuseLimited(credentials, wait: wait, address: address, request, context: context, now: now)
        case .invalid:
            let wait = limiter.withLockedValue { limiter -> Int? in
                if let wait = limiter.retryAfter(address: address, user: credentials.userName, now: now) { return wait }
                limiter.recordFailure(address: address, user: credentials.userName, now: now)
                return nil
            }
            if let wait { try await refuseLimited(credentials, wait: wait, address: address, request, context: context, now: now) }
            var isUser = false
            if let name = credentials.userName { isUser = try await metadata.user(named: name) != nil }
            let actor = credentials.auditActor(isUser: isUser)
            await audit.record(AuditEntry(actor: actor, action: "login.failed", target: request.uri.path, client: context.remoteAddress))
            throw WheelhouseError.unauthorized("invalid credentials")
        }
    }

    /// 429 for a failed attempt over a bound. Nothing is looked up and nothing written per attempt, so
    /// a flood from a limited address costs no database work beyond the token lookup: one
    /// `login.limited` entry per address and window says it was limited.
    func refuseLimited(
        _ credentials: Credentials, wait: Int, address: String, _ request: Request, context: WheelhouseContext, now: Date
    ) async throws -> Never {
        if limiter.withLockedValue({ $0.firstRefusal(address: address, now: now) }) {
            await audit.record(AuditEntry(
                actor: credentials.auditActor(isUser: false), action: "login.limited", target: request.uri.path, client: context.remoteAddress))
        }
        throw WheelhouseError(.tooManyRequests, "too many failed authentication attempts; retry in \(wait) s", headers: [("Retry-After", String(wait))])
    }

    func check(_ credentials: Credentials, address: String, now: Date) async throws -> Check {
        let hash = TokenHash.hash(credentials.tokenCandidate)
        if let (token, user) = try await metadata.token(hash: hash), ConstantTime.equal(token.hash, hash) {
            guard token.isUsable(at: now), !user.isDisabled else { return .invalid }
            if let name = credentials.userName, name != user.name { return .invalid }
            tokenUses.withLockedValue { $0[token.id] = now }
            return .valid(Principal(userID: user.id, userName: user.name, isAdmin: user.isAdmin, tokenID: token.id, scopes: token.scopes))
        }
        var password: (name: String, password: String, cacheKey: String)?
        if passwordLogin, let name = credentials.userName, case .basic(_, let given) = credentials {
            password = (name, given, TokenHash.hash(name + "\u{0}" + given))
        }
        // Over a bound nothing else is looked up: a password is guessable, unlike a token, so it is not
        // checked at all, unless it was verified within the last minute (pip sends it with every request).
        if let wait = limiter.withLockedValue({ $0.retryAfter(address: address, user: credentials.userName, now: now) }) {
            guard let password, let cached = passwordCache.withLockedValue({ $0[password.cacheKey] }), cached.until > now,
                let user = try await metadata.user(named: password.name), !user.isDisabled, user.id == cached.userID,
                user.passwordHash == cached.stored
            else { return .limited(wait) }
            return .valid(Principal(userID: user.id, userName: user.name, isAdmin: user.isAdmin))
        }
        guard let password else { return .invalid }
        guard let user = try await metadata.user(named: password.name), !user.isDisabled, let stored = user.passwordHash else { return .invalid }
        let principal = Principal(userID: user.id, userName: user.name, isAdmin: user.isAdmin)
        if let cached = passwordCache.withLockedValue({ $0[password.cacheKey] }), cached.userID == user.id, cached.stored == stored,
            cached.until > now
        {
            return .valid(principal)
        }
        let clear = password.password
        let ok = try await NIOThreadPool.singleton.runIfActive { PasswordHash.verify(clear, against: stored) }
        guard ok else { return .invalid }
        passwordCache.withLockedValue { cache in
            if cache.count > 10_000 { cache.removeAll() }
            cache[password.cacheKey] = (user.id, stored, now.addingTimeInterval(60))
        }
        return .valid(principal)
    }

    /// Requires `level` on `repository`: 401 (with a challenge) when anonymous, 403 when not enough.
    @discardableResult
    func require(_ level: AccessLevel, on repository: Repository, _ request: Request, context: WheelhouseContext) async throws -> Principal? {
        let principal = try await authenticate(request, context: context)
        try await require(level, on: repository, principal: principal)
        return principal
    }

    /// Requires `level` on `repository` of an already authenticated principal.
    func require(_ level: AccessLevel, on repository: Repository, principal: Principal?) async throws {
        if let have = try await self.level(of: principal, on: repository), have >= level { return }
        guard let principal else { throw WheelhouseError.unauthorized() }
        throw WheelhouseError.forbidden("'\(principal.userName)' lacks \(level.rawValue) access to '\(repository.name)'")
    }

    /// What `principal` may do on `repository` (nil: nothing).
    func level(of principal: Principal?, on repository: Repository) async throws -> AccessLevel? {
        let anonymousRead = repository.settings.anonymousRead ?? false
        let grant: AccessLevel? = if let principal, !principal.isAdmin {
            try await metadata.grant(repository: repository.id, userID: principal.userID)
        } else { nil }
        return AccessPolicy.level(of: principal, on: repository.name, grant: grant, anonymousRead: anonymousRead)
    }

    /// The names of the repositories among `repositories` that `principal` may read.
    func readable(_ repositories: [Repository], principal: Principal?) async throws -> Set<String> {
        var names: Set<String> = []
        for repository in repositories {
            // anonymousRead answers without asking the store for a grant: the common case stays cheap.
            if repository.settings.anonymousRead == true {
                names.insert(repository.name)
            } else if try await level(of: principal, on: repository) != nil {
                names.insert(repository.name)
            }
        }
        return names
    }

    /// A repository that does not exist: anonymous clients get the 401 a private one gives, so the
    /// answer does not tell which private repositories exist; signed-in users get 404.
    func missingRepository(_ name: String, _ request: Request, context: WheelhouseContext) async throws -> Never {
        guard try await authenticate(request, context: context) != nil else { throw WheelhouseError.unauthorized() }
        throw WheelhouseError.notFound("repository '\(name)' not found")
    }

    /// Any authenticated user.
    func requireUser(_ request: Request, context: WheelhouseContext) async throws -> Principal {
        guard let principal = try await authenticate(request, context: context) else { throw WheelhouseError.unauthorized() }
        return principal
    }

    func requireServerAdmin(_ request: Request, context: WheelhouseContext) async throws -> Principal {
        let principal = try await requireUser(request, context: context)
        guard AccessPolicy.isServerAdmin(principal) else { throw WheelhouseError.forbidden("administrator rights required") }
        return principal
    }

    /// Writes the batched last-used times (called periodically and at shutdown).
    public func flushTokenUses() async {
        let uses = tokenUses.withLockedValue { uses in
            defer { uses.removeAll() }
            return uses
        }
        try? await metadata.recordTokenUse(uses)
    }
}

/// Appends to the audit log; a failure to audit is logged, never turned into a failed request.
public struct AuditLog: Sendable {
    let metadata: any MetadataStore
    let logger: Logger

    public init(metadata: any MetadataStore, logger: Logger) {
        self.metadata = metadata
        self.logger = logger
    }

    func record(_ entry: AuditEntry) async {
        do { try await metadata.appendAudit(entry) } catch {
            logger.error("audit write failed", metadata: ["wh.action": "\(entry.action)", "wh.error": "\(error)"])
        }
    }

    func record(_ principal: Principal?, _ action: String, repository: String? = nil, target: String? = nil, context: WheelhouseContext, details: [String: String] = [:]) async {
        await record(AuditEntry(actor: principal?.userName ?? "anonymous", action: action, repository: repository, target: target, client: context.remoteAddress, details: details))
    }
}
