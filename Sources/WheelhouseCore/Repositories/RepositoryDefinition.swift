import Foundation

/// A repository as the API or a configuration file describes it, before validation into settings.
public struct RepositoryDefinition: Sendable, Equatable {
    public var name: String
    public var kind: Repository.Kind
    public var anonymousRead: Bool?
    public var url: String?
    public var metadataTTL: Int?
    public var negativeTTL: Int?
    public var offline: Bool?
    public var username: String?
    /// The upstream password in clear, as a request or a configuration file gives it; sealed for
    /// this repository and URL when stored. A value that already looks sealed is refused.
    public var password: String?
    /// The password stored in the row this definition was read from (sealed for it): kept when no
    /// new `password` is given. Never taken from a request or a file.
    public var storedPassword: String?
    public var members: [String]?
    public var deployTo: String?
    public var allowRemote: [String]?

    public init(
        name: String, kind: Repository.Kind, anonymousRead: Bool? = nil, url: String? = nil, metadataTTL: Int? = nil,
        negativeTTL: Int? = nil, offline: Bool? = nil, username: String? = nil, password: String? = nil,
        members: [String]? = nil, deployTo: String? = nil, allowRemote: [String]? = nil
    ) {
        self.name = name
        self.kind = kind
        self.anonymousRead = anonymousRead
        self.url = url
        self.metadataTTL = metadataTTL
        self.negativeTTL = negativeTTL
        self.offline = offline
        self.username = username
        self.password = password
        self.members = members
        self.deployTo = deployTo
        self.allowRemote = allowRemote
    }

    public init(_ repo: Repository) {
        let s = repo.settings
        self.init(
            name: repo.name, kind: repo.kind, anonymousRead: s.anonymousRead, url: s.url, metadataTTL: s.metadataTTL,
            negativeTTL: s.negativeTTL, offline: s.offline, username: s.upstreamUsername, password: nil,
            members: s.members, deployTo: s.deployTo, allowRemote: s.allowRemote)
        self.storedPassword = s.upstreamPassword
    }

    /// Validates the definition against the kind and the other repositories (members exist, no
    /// cycle, `deployTo` is a local member) and returns the settings to store, a new upstream password
    /// sealed with `secrets` for this repository and URL.
    public func validatedSettings(metadata: any MetadataStore, secrets: SecretBox) async throws -> RepositorySettings {
        var settings = RepositorySettings(anonymousRead: anonymousRead)
        switch kind {
        case .local:
            break
        case .remote:
            guard let url else {
                throw WheelhouseError.badRequest("a remote repository needs \"url\": the upstream's simple index URL (http or https)")
            }
            try Self.validateUpstreamURL(url)
            for (field, value) in [("metadataTTL", metadataTTL), ("negativeTTL", negativeTTL)] {
                if let value, value < 0 { throw WheelhouseError.badRequest("\(field) must be ≥ 0 seconds") }
            }
            settings.url = url.hasSuffix("/") ? url : url + "/"
            settings.metadataTTL = metadataTTL ?? 600
            settings.negativeTTL = negativeTTL ?? 60
            settings.offline = offline ?? false
            settings.upstreamUsername = username
            if let password {
                try SecretBox.checkNotSealed(password)
                settings.upstreamPassword = try secrets.seal(password, repository: name, url: settings.url)
            } else {
                settings.upstreamPassword = storedPassword
            }
        case .virtual:
            let members = members ?? []
            guard !members.isEmpty else { throw WheelhouseError.badRequest("a virtual repository needs \"members\"") }
            guard Set(members).count == members.count else { throw WheelhouseError.badRequest("\"members\" lists a repository twice") }
            var kinds: [String: Repository.Kind] = [:]
            for member in members {
                guard member != name else { throw WheelhouseError.badRequest("'\(name)' cannot be a member of itself") }
                guard let repo = try await metadata.repository(named: member) else {
                    throw WheelhouseError.badRequest("unknown member repository '\(member)'")
                }
                kinds[member] = repo.kind
            }
            try await Self.checkNoCycle(name: name, members: members, metadata: metadata)
            if let deployTo {
                guard members.contains(deployTo), kinds[deployTo] == .local else {
                    throw WheelhouseError.badRequest("\"deployTo\" must name a local member of '\(name)'")
                }
            }
            for pattern in allowRemote ?? [] where pattern.isEmpty {
                throw WheelhouseError.badRequest("\"allowRemote\" patterns must not be empty")
            }
            settings.members = members
            settings.deployTo = deployTo
            settings.allowRemote = allowRemote
        }
        return settings
    }

    /// Walks the member graph from `members`; reaching `name` again is a cycle.
    static func checkNoCycle(name: String, members: [String], metadata: any MetadataStore) async throws {
        var stack = members
        var seen: Set<String> = []
        while let next = stack.popLast() {
            if next == name { throw WheelhouseError.badRequest("members of '\(name)' form a cycle through '\(name)'") }
            guard seen.insert(next).inserted, let repo = try await metadata.repository(named: next) else { continue }
            stack.append(contentsOf: repo.settings.members ?? [])
        }
    }

    public static func validateUpstreamURL(_ url: String) throws {
        guard let parsed = URL(string: url), let scheme = parsed.scheme?.lowercased(),
            scheme == "http" || scheme == "https", parsed.host?.isEmpty == false
        else {
            throw WheelhouseError.badRequest("a remote repository needs \"url\": the upstream's simple index URL (http or https)")
        }
        guard parsed.user == nil, parsed.password == nil else {
            throw WheelhouseError.badRequest("put upstream credentials in \"username\"/\"password\", not in the URL")
        }
    }
}
