import Foundation
import GRDB
import Testing
import WheelhouseCore
@testable import WheelhouseSQL

/// Token rows written before the public prefix kept the secret's first ten characters in `prefix`;
/// a migration rewrites them.
@Suite struct TokenPrefixMigrationTests {
    @Test func oldPrefixesAreRewrittenToThePublicForm() async throws {
        let dir = NSTemporaryDirectory() + "wheelhouse-prefix-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = try SQLiteMetadataStore(path: dir + "/wheelhouse.sqlite")
        try SQLiteSchema.migrator.migrate(store.pool, upTo: "v2 blob claims")
        let generated = "0f2c9a4e-1111-4222-8333-944455556666", configured = "1a2b3c4d-1111-4222-8333-944455556666"
        try await store.pool.write { db in
            try db.execute(sql: "INSERT INTO users (id, name, admin, created_at) VALUES (1, 'admin', 1, 0)")
            for (id, prefix) in [(generated, "whk_Secret"), (configured, "my-config-")] {
                try db.execute(
                    sql: "INSERT INTO tokens (id, user_id, name, hash, prefix, created_at) VALUES (?, 1, 'old', ?, ?, 0)",
                    arguments: [id, id, prefix])
            }
        }
        try await store.migrate()
        let prefixes = Dictionary(uniqueKeysWithValues: try await store.tokens(userID: nil).map { ($0.id, $0.prefix) })
        #expect(prefixes[generated] == TokenRecord.publicPrefix(id: generated))
        #expect(prefixes[configured] == "")
    }
}
