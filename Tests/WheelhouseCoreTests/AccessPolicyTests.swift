import Foundation
import Testing
@testable import WheelhouseCore

@Suite struct AccessPolicyTests {
    let alice = Principal(userID: 2, userName: "alice", isAdmin: false)
    let root = Principal(userID: 1, userName: "admin", isAdmin: true)

    @Test func anonymousReadsOnlyWhenAllowed() {
        #expect(AccessPolicy.level(of: nil, on: "r", grant: nil, anonymousRead: false) == nil)
        #expect(AccessPolicy.level(of: nil, on: "r", grant: nil, anonymousRead: true) == .read)
    }

    @Test func grantsAndAdmins() {
        #expect(AccessPolicy.level(of: alice, on: "r", grant: nil, anonymousRead: false) == nil)
        #expect(AccessPolicy.level(of: alice, on: "r", grant: .write, anonymousRead: false) == .write)
        #expect(AccessPolicy.level(of: alice, on: "r", grant: nil, anonymousRead: true) == .read)
        #expect(AccessPolicy.level(of: root, on: "r", grant: nil, anonymousRead: false) == .admin)
    }

    @Test func tokenScopesIntersectTheUsersRights() {
        var token = alice
        token.scopes = [TokenScope(repository: "team-*", level: .write)]
        #expect(AccessPolicy.level(of: token, on: "team-a", grant: .admin, anonymousRead: false) == .write)
        #expect(AccessPolicy.level(of: token, on: "team-a", grant: .read, anonymousRead: false) == .read)
        #expect(AccessPolicy.level(of: token, on: "other", grant: .admin, anonymousRead: false) == nil)
        // anonymous read still applies to a scoped token
        #expect(AccessPolicy.level(of: token, on: "other", grant: .admin, anonymousRead: true) == .read)
        var adminToken = root
        adminToken.scopes = [TokenScope(repository: "team-a", level: .read)]
        #expect(AccessPolicy.level(of: adminToken, on: "team-a", grant: nil, anonymousRead: false) == .read)
        #expect(!AccessPolicy.isServerAdmin(adminToken))
        #expect(AccessPolicy.isServerAdmin(root))
        #expect(!AccessPolicy.isServerAdmin(alice))
    }

    @Test(arguments: [
        ("team-*", "team-a", true), ("team-*", "team", false), ("*", "anything", true), ("a?c", "abc", true),
        ("a?c", "ac", false), ("exact", "exact", true), ("exact", "exact2", false), ("*-local", "pypi-local", true),
    ])
    func globs(pattern: String, name: String, expected: Bool) {
        #expect(Glob.matches(pattern, name) == expected)
    }

    @Test func passwordHashesVerify() throws {
        let hash = try PasswordHash.make("correct horse")
        #expect(hash.hasPrefix("scrypt$"))
        #expect(!hash.contains("correct"))
        #expect(PasswordHash.verify("correct horse", against: hash))
        #expect(!PasswordHash.verify("wrong horse", against: hash))
        #expect(!PasswordHash.verify("correct horse", against: "garbage"))
        #expect(try PasswordHash.make("correct horse") != hash)
    }

    @Test func limiterBlocksTheEleventhFailure() {
        var limiter = FailedAuthLimiter(limit: 10, window: 60)
        let t0 = Date(timeIntervalSince1970: 0)
        for i in 0..<10 {
            #expect(limiter.retryAfter(address: "1", now: t0.addingTimeInterval(Double(i))) == nil)
            limiter.recordFailure(address: "1", now: t0.addingTimeInterval(Double(i)))
        }
        #expect(limiter.retryAfter(address: "1", now: t0.addingTimeInterval(10)) == 50)
        #expect(limiter.retryAfter(address: "2", now: t0.addingTimeInterval(10)) == nil)
        #expect(limiter.retryAfter(address: "1", now: t0.addingTimeInterval(61)) == nil)
    }

    @Test func failuresNamingAUserFromManyAddressesMeetTheMuchHigherNameBound() {
        var limiter = FailedAuthLimiter(limit: 10, userLimit: 100, window: 60)
        let t0 = Date(timeIntervalSince1970: 0)
        // Ten failures naming alice from ten addresses: neither alice nor any address is limited.
        for i in 0..<10 { limiter.recordFailure(address: "a\(i)", user: "alice", now: t0) }
        #expect(limiter.retryAfter(address: "elsewhere", user: "alice", now: t0) == nil)
        #expect(limiter.retryAfter(address: "a0", user: "alice", now: t0) == nil)
        // Tokens are not counted by name: a token failure from one address counts for that address only.
        for _ in 0..<10 { limiter.recordFailure(address: "nat", now: t0) }
        #expect(limiter.retryAfter(address: "nat", now: t0) == 60)
        #expect(limiter.retryAfter(address: "other", user: "alice", now: t0) == nil)
        // A hundred password failures for one name limit guessing that name everywhere.
        for i in 10..<100 { limiter.recordFailure(address: "a\(i)", user: "alice", now: t0) }
        #expect(limiter.retryAfter(address: "fresh", user: "alice", now: t0.addingTimeInterval(1)) == 59)
        #expect(limiter.retryAfter(address: "fresh", user: "bob", now: t0.addingTimeInterval(1)) == nil)
    }

    @Test func aTokenInTheUserFieldIsATokenCandidate() {
        let pipStyle = Credentials.basic(user: "whk_abc", password: "")
        #expect(pipStyle.tokenCandidate == "whk_abc")
        #expect(pipStyle.userName == nil)
        #expect(Credentials.basic(user: "__token__", password: "whk_x").userName == nil)
        #expect(Credentials.basic(user: "alice", password: "whk_x").tokenCandidate == "whk_x")
        #expect(Credentials.basic(user: "alice", password: "pw").userName == "alice")
        #expect(Credentials.bearer(token: "whk_x").userName == nil)
    }

    @Test func failedLoginsAreAuditedWithoutCredentials() {
        #expect(Credentials.basic(user: "whk_secretpart", password: "").auditActor(isUser: false) == "whk_…")
        #expect(Credentials.basic(user: "whk_secretpart", password: "x").auditActor(isUser: true) == "whk_…")
        #expect(Credentials.basic(user: "hunter2-typed-here", password: "").auditActor(isUser: false) == "unknown")
        #expect(Credentials.basic(user: "alice", password: "wrong").auditActor(isUser: true) == "alice")
        #expect(Credentials.basic(user: "__token__", password: "wrong").auditActor(isUser: false) == "__token__")
        #expect(Credentials.bearer(token: "whk_secret").auditActor(isUser: false) == "unknown")
    }

    @Test func tokenListsShowOnlyThePublicPrefix() {
        let id = "0f1e2d3c-aaaa-bbbb-cccc-000000000000"
        var token = TokenRecord(
            id: id, userID: 1, userName: "a", name: "t", hash: "h", prefix: TokenRecord.publicPrefix(id: id), scopes: nil,
            expiresAt: nil, createdAt: Date())
        #expect(token.displayPrefix == "whk_0f1e2d3c")
        token.prefix = "whk_Ab3dEf"  // a row of an older version: the secret's first characters
        #expect(token.displayPrefix == "")
        token.prefix = ""  // a configured token
        #expect(token.displayPrefix == "")
    }

    @Test func upstreamPasswordsAreSealed() throws {
        func randomBox() throws -> SecretBox {
            try SecretBox(base64Key: Data((0..<32).map { _ in UInt8.random(in: 0...255) }).base64EncodedString())
        }
        let box = try randomBox()
        let (repo, url) = ("mirror", "https://up.example/simple/")
        let sealed = try box.seal("svc-password", repository: repo, url: url)
        #expect(SecretBox.isSealed(sealed) && !sealed.contains("svc-password"))
        #expect(try box.seal("svc-password", repository: repo, url: url) != sealed)
        #expect(try box.open(sealed, repository: repo, url: url) == "svc-password")
        #expect(try box.open("stored-in-clear", repository: repo, url: url) == "stored-in-clear")
        #expect(throws: WheelhouseError.self) { try randomBox().open(sealed, repository: repo, url: url) }
        // A cluster without WHEELHOUSE_SECRET_KEY refuses to store a password.
        #expect(throws: WheelhouseError.self) { try SecretBox(key: nil).seal("svc-password", repository: repo, url: url) }
        #expect(throws: WheelhouseError.self) { try SecretBox(base64Key: "c2hvcnQ=") }
        let key = Data(repeating: 7, count: 32).base64EncodedString()
        #expect(try SecretBox(base64Key: key).open(try SecretBox(base64Key: key + "\n").seal("p", repository: repo, url: url), repository: repo, url: url) == "p")
    }

    @Test func credentialsParse() {
        #expect(Credentials(authorization: "Bearer abc") == .bearer(token: "abc"))
        #expect(Credentials(authorization: "Basic " + Data("u:p:q".utf8).base64EncodedString()) == .basic(user: "u", password: "p:q"))
        #expect(Credentials(authorization: "Basic !!!") == nil)
        #expect(Credentials(authorization: "Digest x") == nil)
        #expect(TokenHash.generate().hasPrefix("whk_"))
        #expect(TokenHash.generate().count > 40)
    }
}
