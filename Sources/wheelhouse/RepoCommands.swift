import ArgumentParser
import Foundation

struct Repo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage repositories.", subcommands: [Create.self, List.self, Show.self, Remove.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a repository.")
        @OptionGroup var options: ClientOptions
        @Argument var name: String
        @Option(help: "local, remote or virtual.") var type: String = "local"
        @Option(help: "Remote: the upstream's simple index URL.") var url: String?
        @Option(help: "Remote: seconds a fetched page stays fresh.") var ttl: Int?
        @Option(help: "Remote: seconds a 404 is remembered.") var negativeTtl: Int?
        @Flag(help: "Remote: never contact the upstream.") var offline = false
        @Option(help: "Remote: upstream user name.") var upstreamUser: String?

        func run() async throws {
            var body: [String: Any] = ["name": name, "type": type]
            if let url { body["url"] = url }
            if let ttl { body["metadataTTL"] = ttl }
            if let negativeTtl { body["negativeTTL"] = negativeTtl }
            if offline { body["offline"] = true }
            if let upstreamUser {
                body["username"] = upstreamUser
                // Read from the environment so the secret never sits in shell history or `ps`.
                body["password"] = ProcessInfo.processInfo.environment["WHEELHOUSE_UPSTREAM_PASSWORD"] ?? ""
            }
            Output.print(json: try await options.client().call(.POST, "/repositories", body: body))
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List repositories.")
        @OptionGroup var options: ClientOptions

        func run() async throws {
            let body = try await options.client().call(.GET, "/repositories") as? [String: Any]
            for repo in body?["repositories"] as? [[String: Any]] ?? [] {
                print("\(repo["name"] ?? "")\t\(repo["type"] ?? "")")
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a repository.")
        @OptionGroup var options: ClientOptions
        @Argument var name: String

        func run() async throws {
            Output.print(json: try await options.client().call(.GET, "/repositories/\(Output.percent(name))"))
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "delete", abstract: "Delete a repository and its files.")
        @OptionGroup var options: ClientOptions
        @Argument var name: String

        func run() async throws {
            _ = try await options.client().call(.DELETE, "/repositories/\(Output.percent(name))")
            print("deleted \(name)")
        }
    }
}
