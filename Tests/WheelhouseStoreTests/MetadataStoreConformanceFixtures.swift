import Crypto
import Foundation
import PostgresNIO
import Testing
import WheelhouseCore
@testable import WheelhouseSQL

enum MetadataBackend: Sendable { case sqlite, postgres }

/// Runs `body` against a fresh, migrated store: SQLite in a temporary directory, or PostgreSQL in a
/// schema of its own (dropped afterwards), so tests run in parallel without seeing each other.
func withMetadataStore(_ backend: MetadataBackend, _ body: (any MetadataStore) async throws -> Void) async throws {
    switch backend {
    case .sqlite:
        let dir = NSTemporaryDirectory() + "wheelhouse-metadata-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = try SQLiteMetadataStore(path: dir + "/wheelhouse.sqlite")
        try await store.migrate()
        try await body(store)
    case .postgres:
        try await withPostgresStores { stores in try await body(stores[0]) }
    }
}

/// The PostgreSQL server that scripts/test starts (deploy/local/postgres); a variable of its own, so
/// a developer's `WHEELHOUSE_DATABASE_URL` never ends up under test.
enum PostgresTestEnvironment {
    static let url = ProcessInfo.processInfo.environment["WHEELHOUSE_TEST_DATABASE_URL"] ?? ""
    static var isConfigured: Bool { !url.isEmpty }

    static func configuration(schema: String) throws -> PostgresMetadataStore.Configuration {
        var configuration = try PostgresMetadataStore.configuration(url: url)
        // Every connection of the pool starts in the test's own schema.
        configuration.client.options.additionalStartupParameters.append(("search_path", schema))
        configuration.client.options.maximumConnections = 4
        configuration.acquireTimeout = .seconds(10)
        return configuration
    }

    static var logger: Logger {
        var logger = Logger(label: "wheelhouse.test.postgres")
        logger.logLevel = .warning
        return logger
    }
}

/// `count` stores, each on its own pool (as `count` nodes would be), all in one fresh schema.
/// The first creates the schema and, when `migrate`, the tables; the schema is dropped afterwards.
func withPostgresStores(
    count: Int = 1, migrate: Bool = true, _ body: ([PostgresMetadataStore]) async throws -> Void
) async throws {
    let schema = "wh_test_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
    let logger = PostgresTestEnvironment.logger
    let stores = try (0..<count).map { _ in
        PostgresMetadataStore(configuration: try PostgresTestEnvironment.configuration(schema: schema), logger: logger)
    }
    try await withThrowingTaskGroup(of: Void.self) { group in
        for store in stores { group.addTask { await store.run() } }
        var failure: (any Error)? = nil
        do {
            try await stores[0].withConnection { connection in
                try await connection.run(PostgresQuery(unsafeSQL: "CREATE SCHEMA \(schema)"), logger)
            }
            if migrate { try await stores[0].migrate() }
            try await body(stores)
        } catch {
            failure = error
        }
        _ = try? await stores[0].withConnection { connection in
            try await connection.run(PostgresQuery(unsafeSQL: "DROP SCHEMA \(schema) CASCADE"), logger)
        }
        group.cancelAll()
        if let failure { throw failure }
    }
}

/// Test data: distributions, times and hashes that are the same on every run.
enum Sample {
    /// Binary fractions only, so a time survives Double arithmetic in either store exactly.
    static func time(_ offset: Double) -> Date { Date(timeIntervalSince1970: 1_700_000_000.25 + offset) }

    static func sha256(_ text: String) -> String {
        SHA256.hash(data: Array(text.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    static func wheel(_ project: String, _ version: String) -> String {
        "\(project.replacingOccurrences(of: "-", with: "_"))-\(version)-py3-none-any.whl"
    }

    static func sdist(_ project: String, _ version: String) -> String {
        "\(project.replacingOccurrences(of: "-", with: "_"))-\(version).tar.gz"
    }

    static func record(
        _ repository: Int64, project: String = "demo-pkg", version: String, filename: String? = nil, content: String = "",
        at offset: Double = 0, metadataSHA256: String? = nil, originURL: String? = nil
    ) -> DistributionRecord {
        let filename = filename ?? wheel(project, version)
        return DistributionRecord(
            repositoryID: repository, project: project, version: version, filename: filename,
            packageType: filename.hasSuffix(".whl") ? "bdist_wheel" : "sdist", size: Int64(1000 + filename.utf8.count + content.utf8.count),
            sha256: sha256(filename + content), blake2b256: sha256("b2" + filename + content), md5: String(sha256("md5" + filename).prefix(32)),
            requiresPython: ">=3.8", metadataSHA256: metadataSHA256, uploadTime: time(offset), uploader: "alice",
            formMetadata: ["summary": ["A demo"], "classifiers": ["A :: B", "C :: D"]], originURL: originURL)
    }

    /// Adds and insists on `.created`; returns the stored record (with its id).
    static func add(_ store: any MetadataStore, _ record: DistributionRecord, displayName: String = "Demo.Pkg") async throws -> DistributionRecord {
        let outcome = try await store.addDistribution(record, displayName: displayName)
        guard case .created(let created) = outcome else {
            Issue.record("expected .created for \(record.filename), got \(outcome)")
            return record
        }
        return created
    }

    /// The `versions` and file names of a rendered JSON page, in page order.
    static func versionsAndFiles(_ json: [UInt8]) throws -> (versions: [String], files: [String]) {
        let object = try JSONSerialization.jsonObject(with: Data(json)) as? [String: Any] ?? [:]
        let files = (object["files"] as? [[String: Any]] ?? []).compactMap { $0["filename"] as? String }
        return (object["versions"] as? [String] ?? [], files)
    }
}

/// The page a local project must have: rendered from its stored rows.
func expectLocalPage(
    _ store: any MetadataStore, _ repository: Int64, _ project: String, displayName: String = "Demo.Pkg",
    sourceLocation: SourceLocation = #_sourceLocation
) async throws {
    let rows = try await store.distributions(repository: repository, project: project)
    let stored = try await store.page(repository: repository, project: project)
    let expected = ProjectPageBuilder.page(displayName: displayName, rows: rows).render()
    expectSamePage(stored?.rendered, expected, "page of \(project) not re-rendered from its rows", sourceLocation: sourceLocation)
    #expect(stored?.displayName == displayName, sourceLocation: sourceLocation)
}

/// Compares rendered pages byte for byte; a mismatch shows the JSON as text, not as bytes.
func expectSamePage(
    _ stored: RenderedPage?, _ expected: RenderedPage, _ comment: String = "stored page differs",
    sourceLocation: SourceLocation = #_sourceLocation
) {
    guard stored != expected else { return }
    let got = stored.map { String(decoding: $0.json, as: UTF8.self) } ?? "no page"
    Issue.record("\(comment)\n  stored:   \(got)\n  expected: \(String(decoding: expected.json, as: UTF8.self))", sourceLocation: sourceLocation)
}

func expectConflict(_ message: String, sourceLocation: SourceLocation = #_sourceLocation, _ body: () async throws -> Void) async {
    do {
        try await body()
        Issue.record("expected 409 '\(message)'", sourceLocation: sourceLocation)
    } catch let error as WheelhouseError {
        #expect(error.code == .conflict && error.status == 409, sourceLocation: sourceLocation)
        #expect(error.message == message, sourceLocation: sourceLocation)
    } catch {
        Issue.record("expected WheelhouseError 409, got \(error)", sourceLocation: sourceLocation)
    }
}

func expectClose(_ a: Date?, _ b: Date?, sourceLocation: SourceLocation = #_sourceLocation) {
    guard let a, let b else {
        #expect(a == nil && b == nil, sourceLocation: sourceLocation)
        return
    }
    #expect(abs(a.timeIntervalSince(b)) < 0.001, "\(a) vs \(b)", sourceLocation: sourceLocation)
}
