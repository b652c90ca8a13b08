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
        guard kind == .local else {
            throw WheelhouseError.badRequest("repository type '\(kind.rawValue)' is not supported yet: only local")
        }
        let settings = RepositorySettings(anonymousRead: body.anonymousRead)
        let repo = try await services.metadata.createRepository(name: body.name, kind: kind, settings: settings)
        return try Responses.json(.created, RepositoryView(repo))
    }
}

struct RepositoryCreateRequest: Decodable {
    let name: String
    let type: String
    let anonymousRead: Bool?
}

/// The JSON shape of a repository in the API.
struct RepositoryView: Encodable {
    let name: String
    let type: String
    let createdAt: Date
    let anonymousRead: Bool

    init(_ r: Repository) {
        name = r.name
        type = r.kind.rawValue
        createdAt = r.createdAt
        anonymousRead = r.settings.anonymousRead ?? true
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
