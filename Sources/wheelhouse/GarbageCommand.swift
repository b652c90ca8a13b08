import ArgumentParser
import Foundation

struct GarbageCollect: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gc",
        abstract: "Delete blobs no file references any more (and staging leftovers); prints what it freed.",
        discussion: "Only blobs older than the grace period (default 1 hour) are considered; uploads in progress on any node are safe.")
    @OptionGroup var options: ClientOptions
    @Flag(help: "Report what would be deleted, delete nothing.") var dryRun = false
    @Option(help: "Leave blobs younger than this many seconds alone (default 3600).") var grace: Int?

    func run() async throws {
        var body: [String: Any] = ["dryRun": dryRun]
        if let grace { body["graceSeconds"] = grace }
        let report = try await options.client().call(.POST, "/gc", body: body, timeout: .hours(2)) as? [String: Any] ?? [:]
        let verb = dryRun ? "would free" : "freed"
        print("\(report["blobs"] ?? 0) blobs (\(report["bytes"] ?? 0) bytes) in the store")
        print("\(verb) \(report["collected"] ?? 0) blobs, \(report["collectedBytes"] ?? 0) bytes")
        print("\(verb) \(report["stagingFiles"] ?? 0) staging files, \(report["stagingBytes"] ?? 0) bytes")
        for sha in report["sample"] as? [String] ?? [] { print("  \(sha)") }
    }
}
