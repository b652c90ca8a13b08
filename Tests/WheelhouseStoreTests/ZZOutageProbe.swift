import Foundation
import Testing
import WheelhouseCore
@testable import WheelhouseSQL

@Test(.enabled(if: ProcessInfo.processInfo.environment["OUTAGE_URL"] != nil)) func zzOutageProbe() async throws {
    let url = ProcessInfo.processInfo.environment["OUTAGE_URL"]!
    let store = PostgresMetadataStore(configuration: try PostgresMetadataStore.configuration(url: url), logger: PostgresTestEnvironment.logger)
    func sh(_ command: String) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/bash")
        p.arguments = ["-c", command]
        try p.run()
        p.waitUntilExit()
    }
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { await store.run() }
        try await store.ping()
        try await store.migrate()
        try sh("deploy/local/postgres down --dir /tmp/pg-outage >/dev/null 2>&1")
        let down = ContinuousClock.now
        for i in 0..<6 {
            let t = ContinuousClock.now
            do { try await store.ping(); print("PROBE down ping \(i): ok?!") }
            catch { print("PROBE down ping \(i): \(error) after \(ContinuousClock.now - t)") }
        }
        print("PROBE outage lasted \(ContinuousClock.now - down)")
        try sh("deploy/local/postgres up --dir /tmp/pg-outage >/dev/null 2>&1")
        let up = ContinuousClock.now
        var n = 0
        while true {
            n += 1
            do { _ = try await store.repositories(); break } catch { try await Task.sleep(for: .milliseconds(100)) }
        }
        print("PROBE recovered \(ContinuousClock.now - up) after restart (\(n) tries)")
        group.cancelAll()
    }
}
