import ArgumentParser
import Foundation

struct UserCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "user", abstract: "Manage users.", subcommands: [Create.self, List.self, Disable.self, Enable.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a user (password from $WHEELHOUSE_NEW_PASSWORD, if set).")
        @OptionGroup var options: ClientOptions
        @Argument var name: String
        @Flag(help: "Make the user a server administrator.") var admin = false

        func run() async throws {
            var body: [String: Any] = ["name": name, "admin": admin]
            // From the environment, so the password is not in shell history or `ps`.
            if let password = ProcessInfo.processInfo.environment["WHEELHOUSE_NEW_PASSWORD"], !password.isEmpty {
                body["password"] = password
            }
            Output.print(json: try await options.client().call(.POST, "/users", body: body))
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List users.")
        @OptionGroup var options: ClientOptions

        func run() async throws {
            let body = try await options.client().call(.GET, "/users") as? [String: Any]
            for u in body?["users"] as? [[String: Any]] ?? [] {
                let flags = [(u["admin"] as? Bool == true) ? "admin" : nil, (u["disabled"] as? Bool == true) ? "disabled" : nil].compactMap { $0 }
                print("\(u["name"] ?? "")\t\(flags.joined(separator: ","))")
            }
        }
    }

    struct Disable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Disable a user (their tokens stop working).")
        @OptionGroup var options: ClientOptions
        @Argument var name: String

        func run() async throws {
            _ = try await options.client().call(.PATCH, "/users/\(Output.percent(name))", body: ["disabled": true])
            print("disabled \(name)")
        }
    }

    struct Enable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Enable a disabled user.")
        @OptionGroup var options: ClientOptions
        @Argument var name: String

        func run() async throws {
            _ = try await options.client().call(.PATCH, "/users/\(Output.percent(name))", body: ["disabled": false])
            print("enabled \(name)")
        }
    }
}

struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token", abstract: "Manage API tokens.", subcommands: [Create.self, List.self, Revoke.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a token; the secret is printed once.")
        @OptionGroup var options: ClientOptions
        @Argument var name: String
        @Option(help: "Owner (admins only; default: yourself).") var user: String?
        @Option(name: .customLong("scope"), help: "REPOSITORY-PATTERN:LEVEL, repeatable (e.g. 'team-*:write').") var scopes: [String] = []
        @Option(help: "Lifetime in seconds.") var expiresIn: Int?

        func run() async throws {
            var body: [String: Any] = ["name": name]
            if let user { body["user"] = user }
            if let expiresIn { body["expiresIn"] = expiresIn }
            if !scopes.isEmpty {
                body["scopes"] = try scopes.map { scope -> [String: String] in
                    guard let colon = scope.lastIndex(of: ":") else { throw ValidationError("scope '\(scope)' is not REPOSITORY:LEVEL") }
                    return ["repository": String(scope[..<colon]), "level": String(scope[scope.index(after: colon)...])]
                }
            }
            let created = try await options.client().call(.POST, "/tokens", body: body) as? [String: Any]
            print(created?["token"] as? String ?? "")
            FileHandle.standardError.write(Data("token id \(created?["id"] ?? ""): store the secret now, it is not shown again\n".utf8))
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List tokens (never their secrets).")
        @OptionGroup var options: ClientOptions
        @Option(help: "Another user's tokens (admins).") var user: String?

        func run() async throws {
            let path = "/tokens" + (user.map { "?user=\(Output.percent($0))" } ?? "")
            let body = try await options.client().call(.GET, path) as? [String: Any]
            for t in body?["tokens"] as? [[String: Any]] ?? [] {
                let state = t["revokedAt"] != nil ? "revoked" : "active"
                // The prefix is public (`whk_` + the id's start); a configured token has none.
                let prefix = (t["prefix"] as? String).flatMap { $0.isEmpty ? nil : $0 + "…" } ?? "-"
                print("\(t["id"] ?? "")\t\(t["user"] ?? "")\t\(t["name"] ?? "")\t\(prefix)\t\(state)")
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a token.")
        @OptionGroup var options: ClientOptions
        @Argument var id: String

        func run() async throws {
            _ = try await options.client().call(.DELETE, "/tokens/\(Output.percent(id))")
            print("revoked \(id)")
        }
    }
}

struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "audit", abstract: "Show the audit log, newest first.")
    @OptionGroup var options: ClientOptions
    @Option var actor: String?
    @Option var action: String?
    @Option var repository: String?
    @Option(help: "ISO 8601 time.") var since: String?
    @Option var limit: Int = 50

    func run() async throws {
        var query = ["limit=\(limit)"]
        if let actor { query.append("actor=\(Output.percent(actor))") }
        if let action { query.append("action=\(Output.percent(action))") }
        if let repository { query.append("repository=\(Output.percent(repository))") }
        if let since { query.append("since=\(Output.percent(since))") }
        let body = try await options.client().call(.GET, "/audit?" + query.joined(separator: "&")) as? [String: Any]
        for e in body?["entries"] as? [[String: Any]] ?? [] {
            print([e["at"], e["actor"], e["action"], e["repository"], e["target"], e["client"]].map { "\($0 ?? "-")" }.joined(separator: "\t"))
        }
    }
}
