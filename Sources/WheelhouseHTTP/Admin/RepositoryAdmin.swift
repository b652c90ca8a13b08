import Foundation
import Hummingbird
import WheelhouseCore

/// Repositories: list (what the caller may read), create and delete (server admins), show (read),
/// change settings (repository admins).
struct RepositoryAdmin {
    let call: AdminCall
    init(_ call: AdminCall) { self.call = call }

    func list() async throws -> Response {
        let principal = try await call.access.requireUser(call.request, context: call.context)
        var visible: [RepositoryView] = []
        for repo in try await call.metadata.repositories() {
            let grant = principal.isAdmin ? nil : try await call.metadata.grant(repository: repo.id, userID: principal.userID)
            if AccessPolicy.level(of: principal, on: repo.name, grant: grant, anonymousRead: repo.settings.anonymousRead ?? false) != nil {
                visible.append(RepositoryView(repo))
            }
        }
        return try Responses.json(.ok, RepositoryList(repositories: visible))
    }

    func show(_ name: String) async throws -> Response {
        let repo = try await call.repository(name)
        try await call.access.require(.read, on: repo, call.request, context: call.context)
        return try Responses.json(.ok, RepositoryView(repo))
    }

    func create() async throws -> Response {
        let principal = try await call.access.requireServerAdmin(call.request, context: call.context)
        let body = try await call.decode(RepositoryCreateRequest.self)
        try RepositoryName.validate(body.name)
        guard let kind = Repository.Kind(rawValue: body.type) else {
            throw WheelhouseError.badRequest("unknown repository type '\(body.type)': use local, remote or virtual")
        }
        let f = body.fields
        let settings = try await RepositoryDefinition(
            name: body.name, kind: kind, anonymousRead: f.anonymousRead, url: f.url, metadataTTL: f.metadataTTL,
            negativeTTL: f.negativeTTL, offline: f.offline, username: f.username, password: f.password,
            members: f.members, deployTo: f.deployTo, allowRemote: f.allowRemote
        ).validatedSettings(metadata: call.metadata, secrets: call.services.secrets)
        try await requireMemberRights(principal, adding: settings.members ?? [], deployTo: settings.deployTo)
        let repo = try await call.metadata.createRepository(name: body.name, kind: kind, settings: settings)
        await call.services.invalidateCaches("repository.create")
        await call.audit(principal, "repository.create", repository: repo.name, details: ["type": kind.rawValue])
        return try Responses.json(.created, RepositoryView(repo))
    }

    func delete(_ name: String) async throws -> Response {
        let principal = try await call.access.requireServerAdmin(call.request, context: call.context)
        let repo = try await call.repository(name)
        try Self.refuseDeclared(repo)
        for other in try await call.metadata.repositories() where other.settings.members?.contains(name) == true {
            throw WheelhouseError.conflict("'\(name)' is a member of virtual repository '\(other.name)': remove it there first")
        }
        guard try await call.metadata.deleteRepository(named: name) else {
            throw WheelhouseError.notFound("repository '\(name)' not found")
        }
        await call.services.invalidateCaches("repository.delete")
        await call.audit(principal, "repository.delete", repository: name)
        return Responses.empty(.noContent)
    }

    /// Changes settings; fields absent from the body keep their value.
    func update(_ name: String) async throws -> Response {
        var repo = try await call.repository(name)
        let principal = try await call.access.require(.admin, on: repo, call.request, context: call.context)
        try Self.refuseDeclared(repo)
        let body = try await call.decode(RepositoryPatchRequest.self)
        var definition = RepositoryDefinition(repo)
        if let v = body.anonymousRead { definition.anonymousRead = v }
        if let v = body.url, (v.hasSuffix("/") ? v : v + "/") != definition.url {
            // Stored credentials belong to the upstream they were given for: with a new URL only the
            // credentials given in this request count, so an admin of this repository cannot send
            // the stored ones to a server of theirs.
            definition.username = nil
            definition.password = nil
            definition.storedPassword = nil
        }
        if let v = body.url { definition.url = v }
        if let v = body.metadataTTL { definition.metadataTTL = v }
        if let v = body.negativeTTL { definition.negativeTTL = v }
        if let v = body.offline { definition.offline = v }
        if let v = body.username { definition.username = v.isEmpty ? nil : v }
        if let v = body.password {
            definition.password = v.isEmpty ? nil : v
            definition.storedPassword = nil
        }
        if let v = body.members { definition.members = v }
        if let v = body.deployTo { definition.deployTo = v.isEmpty ? nil : v }
        if let v = body.allowRemote { definition.allowRemote = v }
        let kindFields: [Any?] = [body.url, body.metadataTTL, body.negativeTTL, body.offline, body.username, body.password]
        if repo.kind != .remote, kindFields.contains(where: { $0 != nil }) {
            throw WheelhouseError.badRequest("url, TTLs, offline and credentials apply to remote repositories only")
        }
        if repo.kind != .virtual, [body.members as Any?, body.deployTo, body.allowRemote].contains(where: { $0 != nil }) {
            throw WheelhouseError.badRequest("members, deployTo and allowRemote apply to virtual repositories only")
        }
        let settings = try await definition.validatedSettings(metadata: call.metadata, secrets: call.services.secrets)
        let added = (settings.members ?? []).filter { !(repo.settings.members ?? []).contains($0) }
        try await requireMemberRights(principal, adding: added, deployTo: settings.deployTo == repo.settings.deployTo ? nil : settings.deployTo)
        repo.settings = settings
        try await call.metadata.updateRepository(repo)
        await call.services.invalidateCaches("write")
        await call.audit(principal, "repository.update", repository: name, details: body.auditDetails)
        return try Responses.json(.ok, RepositoryView(repo))
    }

    /// A virtual serves its members and deploys into `deployTo`: whoever adds a member must be able to
    /// read it (a virtual member: every leaf under it) and whoever sets `deployTo` must be able to write
    /// there, or a repository admin could widen their own rights. Server admins pass; their scoped tokens are checked.
    func requireMemberRights(_ principal: Principal?, adding members: [String], deployTo: String?) async throws {
        for name in members {
            let member = try await call.repository(name)
            let leaves = if member.kind == .virtual { try await call.services.virtual.leaves(of: member) } else { [member] }
            for leaf in leaves { try await call.access.require(.read, on: leaf, principal: principal) }
        }
        if let deployTo {
            let target = try await call.repository(deployTo)
            try await call.access.require(.write, on: target, principal: principal)
        }
    }

    /// Declared repositories are owned by their configuration file: the API must not make them drift.
    static func refuseDeclared(_ repo: Repository) throws {
        if let file = repo.settings.declaredIn {
            throw WheelhouseError.conflict("repository '\(repo.name)' is declared in \(file); change it there and restart")
        }
    }
}

/// The settable fields of a repository: the body of PATCH, and of POST next to `name` and `type`.
struct RepositoryPatchRequest: Decodable {
    let anonymousRead: Bool?
    let url: String?
    let metadataTTL: Int?
    let negativeTTL: Int?
    let offline: Bool?
    let username: String?
    let password: String?
    let members: [String]?
    let deployTo: String?
    let allowRemote: [String]?

    /// What changed, for the audit log: names of fields, never the password.
    var auditDetails: [String: String] {
        var d: [String: String] = [:]
        if let v = anonymousRead { d["anonymousRead"] = String(v) }
        if let v = url { d["url"] = v }
        if let v = metadataTTL { d["metadataTTL"] = String(v) }
        if let v = negativeTTL { d["negativeTTL"] = String(v) }
        if let v = offline { d["offline"] = String(v) }
        if username != nil || password != nil { d["credentials"] = "changed" }
        if let v = members { d["members"] = v.joined(separator: ",") }
        if let v = deployTo { d["deployTo"] = v }
        if let v = allowRemote { d["allowRemote"] = v.joined(separator: ",") }
        return d
    }
}

struct RepositoryCreateRequest: Decodable {
    let name: String
    let type: String
    let fields: RepositoryPatchRequest

    enum Keys: String, CodingKey { case name, type }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Keys.self)
        name = try container.decode(String.self, forKey: .name)
        type = try container.decode(String.self, forKey: .type)
        fields = try RepositoryPatchRequest(from: decoder)
    }
}

/// The JSON shape of a repository in the API.
struct RepositoryView: Encodable {
    let name: String
    let type: String
    let createdAt: Date
    let anonymousRead: Bool
    let url: String?
    let metadataTTL: Int?
    let negativeTTL: Int?
    let offline: Bool?
    /// Whether upstream credentials are stored; the credentials themselves are never returned.
    let hasCredentials: Bool?
    let members: [String]?
    let deployTo: String?
    let allowRemote: [String]?
    let declaredIn: String?

    init(_ r: Repository) {
        name = r.name
        type = r.kind.rawValue
        createdAt = r.createdAt
        anonymousRead = r.settings.anonymousRead ?? false
        url = r.settings.url
        metadataTTL = r.settings.metadataTTL
        negativeTTL = r.settings.negativeTTL
        offline = r.settings.offline
        hasCredentials = r.kind == .remote ? (r.settings.upstreamUsername != nil) : nil
        members = r.settings.members
        deployTo = r.settings.deployTo
        allowRemote = r.settings.allowRemote
        declaredIn = r.settings.declaredIn
    }
}

struct RepositoryList: Encodable { let repositories: [RepositoryView] }

/// The JSON shape of a stored file in the API.
struct FileView: Encodable {
    let filename: String
    let project: String
    let version: String
    let size: Int64
    let sha256: String
    let yanked: Bool
    let yankedReason: String?
    let uploadTime: Date
    let uploader: String?

    init(_ r: DistributionRecord) {
        filename = r.filename
        project = r.project
        version = r.version
        size = r.size
        sha256 = r.sha256
        yanked = r.yanked
        yankedReason = r.yankedReason
        uploadTime = r.uploadTime
        uploader = r.uploader
    }
}

struct FileList: Encodable { let files: [FileView] }
