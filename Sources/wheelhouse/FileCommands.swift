import ArgumentParser

/// The selection shared by yank, unyank and delete: a release, or one file of it.
struct ReleaseSelection: ParsableArguments {
    @Argument(help: "Repository.") var repository: String
    @Argument(help: "Project name.") var project: String
    @Argument(help: "Version.") var version: String
    @Option(help: "Only this file of the release.") var file: String?

    var path: String {
        let base = "/repositories/\(Output.percent(repository))/projects/\(Output.percent(project))"
        if let file { return base + "/files/\(Output.percent(file))" }
        return base + "/versions/\(Output.percent(version))"
    }
}

struct Yank: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Yank a release or a file (PEP 592).")
    @OptionGroup var options: ClientOptions
    @OptionGroup var selection: ReleaseSelection
    @Option(help: "Why it was yanked (shown by pip).") var reason: String?

    func run() async throws {
        var body: [String: Any] = [:]
        if let reason { body["reason"] = reason }
        _ = try await options.client().call(.POST, selection.path + "/yank", body: body)
        print("yanked \(selection.project) \(selection.file ?? selection.version)")
    }
}

struct Unyank: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Undo a yank.")
    @OptionGroup var options: ClientOptions
    @OptionGroup var selection: ReleaseSelection

    func run() async throws {
        _ = try await options.client().call(.POST, selection.path + "/unyank")
        print("unyanked \(selection.project) \(selection.file ?? selection.version)")
    }
}

struct Delete: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Delete a release or a file.")
    @OptionGroup var options: ClientOptions
    @OptionGroup var selection: ReleaseSelection

    func run() async throws {
        _ = try await options.client().call(.DELETE, selection.path)
        print("deleted \(selection.project) \(selection.file ?? selection.version)")
    }
}
