import ArgumentParser

struct Repo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage repositories.", subcommands: [Create.self, List.self, Show.self, Remove.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a repository.")
        @OptionGroup var options: ClientOptions
        @Argument var name: String
        @Option(help: "local, remote or virtual.") var type: String = "local"

        func run() async throws {
            Output.print(json: try await options.client().call(.POST, "/repositories", body: ["name": name, "type": type]))
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
