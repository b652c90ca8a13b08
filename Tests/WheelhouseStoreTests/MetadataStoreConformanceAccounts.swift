import Foundation
import Testing
import WheelhouseCore

/// What every `MetadataStore` must do as an `AccountStore`: users, tokens, grants and the audit log.
enum AccountStoreContract {
    static func users(_ store: any MetadataStore) async throws {
        #expect(try await store.userCount() == 0)
        let alice = try await store.createUser(name: "alice", passwordHash: "scrypt$abc", isAdmin: false)
        let bob = try await store.createUser(name: "Bob", passwordHash: nil, isAdmin: true)
        #expect(alice.id != bob.id && !alice.isDisabled && bob.isAdmin && alice.passwordHash == "scrypt$abc")
        await expectConflict("user 'alice' already exists") {
            _ = try await store.createUser(name: "alice", passwordHash: nil, isAdmin: true)
        }
        #expect(try await store.userCount() == 2)

        let read = try #require(try await store.user(named: "alice"))
        #expect(read.id == alice.id && read.name == "alice" && read.passwordHash == "scrypt$abc" && !read.isAdmin && !read.isDisabled)
        expectClose(read.createdAt, alice.createdAt)
        #expect(try await store.user(named: "ALICE") == nil)
        #expect(try await store.users().map(\.name) == ["Bob", "alice"])  // byte order

        var changed = read
        changed.isDisabled = true
        changed.isAdmin = true
        changed.passwordHash = nil
        try await store.updateUser(changed)
        let updated = try #require(try await store.user(named: "alice"))
        #expect(updated.isDisabled && updated.isAdmin && updated.passwordHash == nil && updated.id == alice.id)
    }

    static func tokens(_ store: any MetadataStore) async throws {
        let alice = try await store.createUser(name: "alice", passwordHash: nil, isAdmin: false)
        let bob = try await store.createUser(name: "bob", passwordHash: nil, isAdmin: false)
        let first = TokenRecord(
            id: "tok-1", userID: alice.id, userName: "alice", name: "ci", hash: Sample.sha256("secret-1"), prefix: "whk_1",
            scopes: [TokenScope(repository: "team-*", level: .write), TokenScope(repository: "public", level: .read)],
            expiresAt: Sample.time(3600), createdAt: Sample.time(0))
        let second = TokenRecord(
            id: "tok-2", userID: bob.id, userName: "bob", name: "laptop", hash: Sample.sha256("secret-2"), prefix: "whk_2",
            scopes: nil, expiresAt: nil, createdAt: Sample.time(10))
        var third = TokenRecord(
            id: "tok-3", userID: alice.id, userName: "alice", name: "empty scopes", hash: Sample.sha256("secret-3"), prefix: "whk_3",
            scopes: [], expiresAt: nil, createdAt: Sample.time(20))
        for token in [first, second, third] { try await store.createToken(token) }
        third.scopes = nil  // an empty list reads back as "no restriction", as stored by both stores

        let (found, owner) = try #require(try await store.token(hash: Sample.sha256("secret-1")))
        #expect(found == first)
        #expect(owner.id == alice.id && owner.name == "alice")
        #expect(try await store.token(hash: Sample.sha256("unknown")) == nil)
        #expect(try await store.token(id: "tok-2") == second)
        #expect(try await store.token(id: "tok-3") == third)
        #expect(try await store.token(id: "nope") == nil)
        #expect(try await store.tokens(userID: alice.id) == [first, third])
        #expect(try await store.tokens(userID: bob.id) == [second])
        #expect(try await store.tokens(userID: nil) == [first, second, third])

        // The token and its user come back whatever their state: the caller decides.
        var disabled = bob
        disabled.isDisabled = true
        try await store.updateUser(disabled)
        #expect(try await store.token(hash: Sample.sha256("secret-2"))?.1.isDisabled == true)

        #expect(try await store.revokeToken(id: "tok-1", at: Sample.time(50)))
        #expect(try await store.revokeToken(id: "tok-1", at: Sample.time(60)) == false)
        #expect(try await store.revokeToken(id: "nope", at: Sample.time(60)) == false)
        #expect(try await store.token(id: "tok-1")?.revokedAt == Sample.time(50))
        #expect(try await store.token(hash: Sample.sha256("secret-1"))?.0.isUsable(at: Sample.time(1)) == false)

        try await store.recordTokenUse([:])
        try await store.recordTokenUse(["tok-2": Sample.time(70), "tok-3": Sample.time(71), "gone": Sample.time(72)])
        #expect(try await store.token(id: "tok-2")?.lastUsedAt == Sample.time(70))
        #expect(try await store.token(id: "tok-3")?.lastUsedAt == Sample.time(71))
        #expect(try await store.token(id: "tok-1")?.lastUsedAt == nil)
    }

    static func grants(_ store: any MetadataStore) async throws {
        let repo = try await store.createRepository(name: "team", kind: .local, settings: RepositorySettings())
        let other = try await store.createRepository(name: "other", kind: .local, settings: RepositorySettings())
        let alice = try await store.createUser(name: "alice", passwordHash: nil, isAdmin: false)
        let bob = try await store.createUser(name: "Bob", passwordHash: nil, isAdmin: false)

        try await store.grant(repository: repo.id, userID: alice.id, level: .read)
        try await store.grant(repository: repo.id, userID: bob.id, level: .admin)
        try await store.grant(repository: repo.id, userID: alice.id, level: .write)  // replaces
        #expect(try await store.grant(repository: repo.id, userID: alice.id) == .write)
        #expect(try await store.grant(repository: other.id, userID: alice.id) == nil)
        let listed = try await store.grants(repository: repo.id)
        #expect(listed.map(\.user) == ["Bob", "alice"] && listed.map(\.level) == [.admin, .write])
        #expect(try await store.grants(repository: other.id).isEmpty)

        #expect(try await store.revokeGrant(repository: repo.id, userID: alice.id))
        #expect(try await store.revokeGrant(repository: repo.id, userID: alice.id) == false)
        #expect(try await store.grant(repository: repo.id, userID: alice.id) == nil)
        #expect(try await store.grants(repository: repo.id).map(\.user) == ["Bob"])
    }

    static func audit(_ store: any MetadataStore) async throws {
        let actions = ["upload", "delete", "yank"]
        for i in 0..<30 {
            try await store.appendAudit(AuditEntry(
                at: Sample.time(Double(i)), actor: i % 2 == 0 ? "alice" : "bob", action: actions[i % 3],
                repository: i % 3 == 2 ? nil : (i % 2 == 0 ? "alpha" : "beta"), target: "file-\(i).whl",
                client: i == 7 ? "twine/6.1.0" : nil, details: ["i": "\(i)", "size": "\(i * 100)"]))
        }
        let all = try await store.audit(AuditFilter())
        #expect(all.count == 30)
        #expect(all.map(\.details["i"]) == (0..<30).reversed().map { "\($0)" }, "newest first")
        #expect(zip(all, all.dropFirst()).allSatisfy { $0.id > $1.id })
        let seventh = try #require(all.first { $0.details["i"] == "7" })
        #expect(seventh.actor == "bob" && seventh.action == "delete" && seventh.repository == "beta" && seventh.target == "file-7.whl")
        #expect(seventh.client == "twine/6.1.0" && seventh.at == Sample.time(7) && seventh.details == ["i": "7", "size": "700"])

        #expect(try await store.audit(AuditFilter(actor: "alice")).count == 15)
        #expect(try await store.audit(AuditFilter(action: "yank")).allSatisfy { $0.action == "yank" && $0.repository == nil })
        #expect(try await store.audit(AuditFilter(action: "yank")).count == 10)
        #expect(try await store.audit(AuditFilter(repository: "alpha")).count == 10)
        #expect(try await store.audit(AuditFilter(actor: "bob", action: "upload")).map(\.details["i"]) == ["27", "21", "15", "9", "3"])
        #expect(try await store.audit(AuditFilter(since: Sample.time(25))).count == 5)
        #expect(try await store.audit(AuditFilter(actor: "nobody")).isEmpty)

        // Paging: `before` the last id seen, until a short page.
        var pages: [[AuditEntry]] = []
        var before: Int64? = nil
        repeat {
            let page = try await store.audit(AuditFilter(before: before, limit: 7))
            pages.append(page)
            before = page.last?.id
        } while pages.last?.count == 7 && pages.count < 10
        #expect(pages.map(\.count) == [7, 7, 7, 7, 2])
        #expect(pages.flatMap { $0 }.map(\.id) == all.map(\.id))

        #expect(try await store.audit(AuditFilter(limit: 0)).count == 1)
        #expect(try await store.audit(AuditFilter(limit: 5000)).count == 30)
    }
}
