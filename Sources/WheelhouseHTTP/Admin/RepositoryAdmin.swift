import Foundation
import Hummingbird
import WheelhouseCore

/// Creating and describing repositories.
struct RepositoryAdmin {
    let services: WheelhouseServices

    func create(_ body: RepositoryCreateRequest) async throws -> Response {
        try RepositoryName.validate(body.name)
        guard let kind = Repository.Kind(rawValue: body.type) else {
            throw WheelhouseError.badRequest("unknown repository type '\(body.type)': use local, remote or virtual")
        }
        var settings = RepositorySettings(anonymousRead: body.anonymousRead)
        switch kind {
        case .local:
            break
        case .remote:
            guard let url = body.url else {
                throw WheelhouseError.badRequest("a remote repository needs \"url\": the upstream's simple index URL (http or https)")
            }
            try Self.validateUpstreamURL(url)
            for (field, value) in [("metadataTTL", body.metadataTTL), ("negativeTTL", body.negativeTTL)] {
                if let value, value < 0 { throw WheelhouseError.badRequest("\(field) must be ≥ 0 seconds") }
            }
            settings.url = url.hasSuffix("/") ? url : url + "/"
            settings.metadataTTL = body.metadataTTL ?? 600
            settings.negativeTTL = body.negativeTTL ?? 60
            settings.offline = body.offline ?? false
            settings.upstreamUsername = body.username
            settings.upstreamPassword = body.password
        case .virtual:
            throw WheelhouseError.badRequest("repository type 'virtual' is not supported yet")
        }
        let repo = try await services.metadata.createRepository(name: body.name, kind: kind, settings: settings)
        return try Responses.json(.created, RepositoryView(repo))
    }

    /// Changes settings; fields absent from the body keep their value.
    func update(_ repository: Repository, _ body: RepositoryPatchRequest) async throws -> Response {
        var repo = repository
        if let v = body.anonymousRead { repo.settings.anonymousRead = v }
        let remoteFields: [Any?] = [body.url, body.metadataTTL, body.negativeTTL, body.offline, body.username, body.password]
        if remoteFields.contains(where: { $0 != nil }) {
            guard repo.kind == .remote else {
                throw WheelhouseError.badRequest("url, TTLs, offline and credentials apply to remote repositories only")
            }
            if let url = body.url {
                try Self.validateUpstreamURL(url)
                repo.settings.url = url.hasSuffix("/") ? url : url + "/"
            }
            for (field, value) in [("metadataTTL", body.metadataTTL), ("negativeTTL", body.negativeTTL)] {
                if let value, value < 0 { throw WheelhouseError.badRequest("\(field) must be ≥ 0 seconds") }
            }
            if let v = body.metadataTTL { repo.settings.metadataTTL = v }
            if let v = body.negativeTTL { repo.settings.negativeTTL = v }
            if let v = body.offline { repo.settings.offline = v }
            if let v = body.username { repo.settings.upstreamUsername = v.isEmpty ? nil : v }
            if let v = body.password { repo.settings.upstreamPassword = v.isEmpty ? nil : v }
        }
        try await services.metadata.updateRepository(repo)
        return try Responses.json(.ok, RepositoryView(repo))
    }

    static func validateUpstreamURL(_ url: String) throws {
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

struct RepositoryPatchRequest: Decodable {
    let anonymousRead: Bool?
    let url: String?
    let metadataTTL: Int?
    let negativeTTL: Int?
    let offline: Bool?
    let username: String?
    let password: String?
}

struct RepositoryCreateRequest: Decodable {
    let name: String
    let type: String
    let anonymousRead: Bool?
    let url: String?
    let metadataTTL: Int?
    let negativeTTL: Int?
    let offline: Bool?
    let username: String?
    let password: String?
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

    init(_ r: Repository) {
        name = r.name
        type = r.kind.rawValue
        createdAt = r.createdAt
        anonymousRead = r.settings.anonymousRead ?? true
        url = r.settings.url
        metadataTTL = r.settings.metadataTTL
        negativeTTL = r.settings.negativeTTL
        offline = r.settings.offline
        hasCredentials = r.kind == .remote ? (r.settings.upstreamUsername != nil) : nil
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
