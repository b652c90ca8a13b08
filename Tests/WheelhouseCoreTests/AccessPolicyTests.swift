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
            #expect(limiter.retryAfter(["addr:1"], now: t0.addingTimeInterval(Double(i))) == nil)
            limiter.recordFailure(["addr:1"], now: t0.addingTimeInterval(Double(i)))
        }
        #expect(limiter.retryAfter(["addr:1"], now: t0.addingTimeInterval(10)) == 50)
        #expect(limiter.retryAfter(["addr:2"], now: t0.addingTimeInterval(10)) == nil)
        #expect(limiter.retryAfter(["addr:1"], now: t0.addingTimeInterval(61)) == nil)
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
