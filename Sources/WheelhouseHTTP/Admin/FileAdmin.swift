import Hummingbird
import PythonPackaging
import WheelhouseCore

/// Listing, yanking and deleting files of a local repository.
struct FileAdmin {
    let call: AdminCall
    init(_ call: AdminCall) { self.call = call }

    func list(_ name: String, project: String) async throws -> Response {
        let repo = try await call.repository(name)
        try await call.access.require(.read, on: repo, call.request, context: call.context)
        let rows = try await call.metadata.distributions(repository: repo.id, project: ProjectName.normalize(project))
        guard !rows.isEmpty else { throw WheelhouseError.notFound("project '\(project)' not found in '\(name)'") }
        return try Responses.json(.ok, FileList(files: rows.map(FileView.init)))
    }

    func yank(_ name: String, project: String, selector value: String, byFile: Bool, action: String) async throws -> Response {
        guard action == "yank" || action == "unyank" else { throw WheelhouseError.notFound("no such action '\(action)'") }
        let repo = try await call.repository(name)
        let principal = try await call.access.require(.write, on: repo, call.request, context: call.context)
        switch repo.kind {
        case .local: break
        case .remote:
            // A remote's pages follow its upstream: a local yank flag would be overwritten, or worse, hidden.
            throw WheelhouseError(.methodNotAllowed, "'\(name)' is a remote: its yanked flags follow the upstream; yank in a local repository")
        case .virtual:
            throw WheelhouseError(.methodNotAllowed, "'\(name)' is a virtual repository: yank the file in the member that holds it")
        }
        let selector = DistributionSelector(
            project: ProjectName.normalize(project), version: byFile ? nil : value, filename: byFile ? value : nil)
        let reason = action == "yank" ? try await call.decodeOptional(YankRequest.self)?.reason : nil
        let changed = try await call.metadata.setYanked(repository: repo.id, selector, yanked: action == "yank", reason: reason)
        guard !changed.isEmpty else { throw WheelhouseError.notFound("no matching files of '\(project)' in '\(name)'") }
        await call.services.invalidateCaches("write")
        for file in changed {
            await call.audit(principal, action, repository: name, target: file.filename, details: reason.map { ["reason": $0] } ?? [:])
        }
        return try Responses.json(.ok, FileList(files: changed.map(FileView.init)))
    }

    func delete(_ name: String, project: String, selector value: String, byFile: Bool) async throws -> Response {
        let repo = try await call.repository(name)
        let principal = try await call.access.require(.write, on: repo, call.request, context: call.context)
        // On a remote this evicts cached files (fetched again on the next request).
        guard repo.kind != .virtual else {
            throw WheelhouseError(.methodNotAllowed, "'\(name)' is a virtual repository: delete the file in the member that holds it")
        }
        let selector = DistributionSelector(
            project: ProjectName.normalize(project), version: byFile ? nil : value, filename: byFile ? value : nil)
        let deleted = try await call.metadata.deleteDistributions(repository: repo.id, selector)
        guard !deleted.isEmpty else { throw WheelhouseError.notFound("no matching files of '\(project)' in '\(name)'") }
        await call.services.invalidateCaches("write")
        for file in deleted { await call.audit(principal, "delete", repository: name, target: file.filename) }
        // The bytes stay: only the garbage collector deletes blobs (see BlobReferenceStore).
        return Responses.empty(.noContent)
    }
}

struct YankRequest: Decodable { let reason: String? }
