import ArgumentParser

/// `@main` lives here, not in main.swift: an `AsyncParsableCommand` in main.swift silently runs nothing.
@main
struct WheelhouseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wheelhouse",
        abstract: "A self-hosted Python package repository.",
        subcommands: [
            Serve.self, Repo.self, Yank.self, Unyank.self, Delete.self, Cache.self, UserCommand.self, TokenCommand.self,
            AuditCommand.self, GarbageCollect.self,
        ]
    )
}
