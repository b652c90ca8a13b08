import ArgumentParser
import Foundation

struct Repo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage repositories.",
        subcommands: [Create.self, List.self, Show.self, Remove.self, Update.self, Grant.self, Revoke.self])

    struct Update: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "set", abstract: "Change settings of a repository.")
        @OptionGroup var options: ClientOptions
        @Argument var name: String
        @Option(help: "true or false.") var anonymousRead: Bool?
        @Option(help: "Virtual: members in order, comma-separated.") var members: String?
        @Option(help: "Virtual: the local member uploads go to.") var deployTo: String?
        @Option(help: "Virtual: project patterns remote members may serve even when a local member has them, comma-separated.") var allowRemote: String?
        @Option(help: "Remote: the upstream URL.") var url: String?
        @Option(help: "Remote: page TTL in seconds.") var ttl: Int?
        @Option(help: "Remote: true or false.") var offline: Bool?

        func run() async throws {
            var body: [String: Any] = [:]
            if let anonymousRead { body["anonymousRead"] = anonymousRead }
            if let members { body["members"] = members.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
            if let deployTo { body["deployTo"] = deployTo }
            if let allowRemote { body["allowRemote"] = allowRemote.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
            if let url { body["url"] = url }
            if let ttl { body["metadataTTL"] = ttl }
            if let offline { body["offline"] = offline }
            Output.print(json: try await options.client().call(.PATCH, "/repositories/\(Output.percent(name))", body: body))
        }
    }

    struct Grant: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Grant a user read, write or admin on a repository.")
        @OptionGroup var options: ClientOptions
        @Argument var repository: String
        @Argument var user: String
        @Argument(help: "read, write or admin.") var level: String

        func run() async throws {
            _ = try await options.client().call(.POST, "/repositories/\(Output.percent(repository))/permissions", body: ["user": user, "level": level])
            print("granted \(level) on \(repository) to \(user)")
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a user's grant on a repository.")
        @OptionGroup var options: ClientOptions
        @Argument var repository: String
        @Argument var user: String

        func run() async throws {
            _ = try await options.client().call(.DELETE, "/repositories/\(Output.percent(repository))/permissions/\(Output.percent(user))")
            print("revoked \(user) on \(repository)")
        }
    }

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
        @Option(help: "Virtual: members in order, comma-separated.") var members: String?
        @Option(help: "Virtual: the local member uploads go to.") var deployTo: String?
        @Flag(help: "Let anonymous clients read.") var anonymousRead = false

        func run() async throws {
            var body: [String: Any] = ["name": name, "type": type]
            if let url { body["url"] = url }
            if let ttl { body["metadataTTL"] = ttl }
            if let negativeTtl { body["negativeTTL"] = negativeTtl }
            if offline { body["offline"] = true }
            if anonymousRead { body["anonymousRead"] = true }
            if let members { body["members"] = members.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
            if let deployTo { body["deployTo"] = deployTo }
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
