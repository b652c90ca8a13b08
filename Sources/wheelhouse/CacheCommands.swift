import ArgumentParser
import Foundation

struct Cache: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Inspect and manage a remote repository's cache.", subcommands: [List.self, Purge.self, Warm.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "ls", abstract: "List cached projects.")
        @OptionGroup var options: ClientOptions
        @Argument var repository: String

        func run() async throws {
            let body = try await options.client().call(.GET, "/repositories/\(Output.percent(repository))/cache") as? [String: Any]
            print("project\tfiles\tbytes\tfresh until")
            for p in body?["projects"] as? [[String: Any]] ?? [] {
                let found = p["found"] as? Bool ?? true
                print("\(p["name"] ?? "")\t\(p["cachedFiles"] ?? 0)\t\(p["cachedBytes"] ?? 0)\t\(p["freshUntil"] ?? "")\(found ? "" : "\t(not found upstream)")")
            }
        }
    }

    struct Purge: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Forget a cached page so the next request refetches it.")
        @OptionGroup var options: ClientOptions
        @Argument var repository: String
        @Argument var project: String

        func run() async throws {
            _ = try await options.client().call(.DELETE, "/repositories/\(Output.percent(repository))/cache/\(Output.percent(project))")
            print("purged \(project)")
        }
    }

    struct Warm: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Prefetch the pages and files of a requirements file.")
        @OptionGroup var options: ClientOptions
        @Argument var repository: String
        @Option(name: .shortAndLong, help: "A requirements file.") var requirement: String

        func run() async throws {
            let text = try String(contentsOfFile: requirement, encoding: .utf8)
            let lines = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
                .filter { !$0.isEmpty && !$0.hasPrefix("#") && !$0.hasPrefix("-") }
            let client = try options.client()
            var files = 0, bytes = 0
            var errors: [String] = []
            for (i, line) in lines.enumerated() {
                Progress.draw(done: i, total: lines.count, label: line)
                let report = try await client.call(.POST, "/repositories/\(Output.percent(repository))/cache/warm", body: ["requirements": [line]]) as? [String: Any]
                files += report?["files"] as? Int ?? 0
                bytes += report?["bytes"] as? Int ?? 0
                errors += report?["errors"] as? [String] ?? []
            }
            Progress.draw(done: lines.count, total: lines.count, label: "done")
            FileHandle.standardError.write(Data("\n".utf8))
            print("warmed \(lines.count) requirements: \(files) files, \(bytes) bytes")
            for e in errors { print("error: \(e)") }
            if !errors.isEmpty { throw ExitCode(1) }
        }
    }
}

/// A one-line progress bar on stderr.
enum Progress {
    static func draw(done: Int, total: Int, label: String) {
        let width = 30
        let filled = total == 0 ? width : width * done / total
        let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
        FileHandle.standardError.write(Data("\r[\(bar)] \(done)/\(total) \(label.prefix(40))\u{1B}[K".utf8))
    }
}
