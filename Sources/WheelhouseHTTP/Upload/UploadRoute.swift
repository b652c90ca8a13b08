import Foundation
import Hummingbird
import NIOCore
import NIOPosix
import PythonPackaging
import WheelhouseCore
import WheelhouseRemote
import _NIOFileSystem

/// The legacy upload API (`POST /{repo}/`), as twine, uv, poetry, hatch and flit speak it.
///
/// The `content` part streams to a staging file while it is hashed; nothing is stored until every
/// check passed; blob before row, so a crash leaves at most an orphan blob, never a row without bytes.
struct UploadRoute {
    let services: WheelhouseServices

    func upload(_ request: Request, context: WheelhouseContext, repositoryName: String) async throws -> Response {
        guard let target = try await services.metadata.repository(named: repositoryName) else {
            // Credentials first, so clients get their 401 before learning what exists.
            try await services.access.missingRepository(repositoryName, request, context: context)
        }
        let principal = try await services.access.require(.write, on: target, request, context: context)
        let repository = try await deployTarget(target)
        if repository.id != target.id {
            // Through a virtual: write on the deployment repository too, so a grant (or a token
            // scoped) on the virtual alone does not reach a repository the caller cannot write.
            try await services.access.require(.write, on: repository, principal: principal)
        }
        guard let contentType = request.headers[.contentType],
            let boundary = MultipartParser.boundary(fromContentType: contentType)
        else {
            throw WheelhouseError.badRequest("expected a multipart/form-data body with a boundary")
        }
        if let declared = request.headers[.contentLength].flatMap(Int64.init), declared > services.limits.maxUploadBytes {
            throw WheelhouseError(.payloadTooLarge, "upload of \(declared) bytes exceeds the limit of \(services.limits.maxUploadBytes)")
        }

        let staging = services.staging + "/upload-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: staging) }
        let received = try await receive(request.body, boundary: boundary, to: staging)
        guard let contentFilename = received.filename else {
            throw WheelhouseError.badRequest("the upload has no 'content' file part")
        }
        let upload = try UploadValidation.validate(form: received.form, filename: contentFilename, digests: received.digests)

        // CI retries re-upload identical files: answer 200 without doing anything.
        if let existing = try await services.metadata.distribution(repository: repository.id, filename: upload.filename.filename) {
            return try outcomeResponse(existing.sha256 == received.digests.sha256 ? .identical(existing) : .conflict(existing))
        }
        // The same release and tags under another spelling (`Good-1.0.0-py3.py3-none-any.whl`) is the same file.
        let stored = try await services.metadata.filenames(repository: repository.id, project: upload.normalizedName)
        if let twin = UploadValidation.equivalent(of: upload.filename, among: stored) {
            throw WheelhouseError.badRequest(
                "File already exists: '\(upload.filename.filename)' is the same release and tags as the stored '\(twin)'. Uploading a new file requires a new version.")
        }

        let metadataBytes = try await readMetadata(staging, upload.filename)
        let metadata: CoreMetadata
        do { metadata = try CoreMetadata(parsing: metadataBytes) } catch let e as PackagingError {
            throw WheelhouseError.badRequest(e.message)
        }
        try UploadValidation.validate(metadata: metadata, for: upload)

        // Only wheels get a served metadata file (PEP 658); sdist metadata may be dynamic.
        var metadataSHA: String? = nil
        if upload.filename.kind == .wheel {
            var acc = DigestAccumulator()
            metadataBytes.withUnsafeBytes { acc.update($0) }
            metadataSHA = acc.finalize().sha256
        }
        // Claimed before the bytes are checked or written, so the garbage collector cannot delete
        // them between our put (which skips bytes already present) and our row.
        let blobs = services.blobs
        let outcome = try await BlobReferences.withClaim(on: [received.digests.sha256] + [metadataSHA].compactMap { $0 }, in: services.metadata) { claim in
            if let metadataSHA {
                try await blobs.put(BlobKey(sha256: metadataSHA)!, bytes: metadataBytes)
            }
            try await blobs.put(BlobKey(sha256: received.digests.sha256)!, contentsOfFile: staging)
            try claim.ensureUsable()

            let record = DistributionRecord(
                repositoryID: repository.id, project: upload.normalizedName, version: upload.version,
                filename: upload.filename.filename, packageType: upload.packageType, size: received.size,
                sha256: received.digests.sha256, blake2b256: received.digests.blake2b256, md5: received.digests.md5,
                requiresPython: metadata.requiresPython ?? received.form.value("requires_python"),
                metadataSHA256: metadataSHA, uploadTime: Date(), uploader: principal?.userName,
                formMetadata: received.form.metadataFields)
            return try await services.metadata.addDistribution(record, displayName: metadata.name ?? upload.displayName)
        }
        if case .created(let r) = outcome {
            await services.invalidateCaches("upload")
            await services.audit.record(principal, "upload", repository: repository.name, target: r.filename, context: context, details: ["sha256": r.sha256])
        }
        return try outcomeResponse(outcome)
    }

    /// Uploads to a virtual repository land in its `deployTo` member.
    func deployTarget(_ repository: Repository) async throws -> Repository {
        switch repository.kind {
        case .local:
            return repository
        case .remote:
            throw WheelhouseError(.methodNotAllowed, "repository '\(repository.name)' is a remote (a cache of its upstream): upload to a local repository")
        case .virtual:
            guard let name = repository.settings.deployTo else {
                throw WheelhouseError(.methodNotAllowed, "virtual repository '\(repository.name)' has no deployment repository: set \"deployTo\" to one of its local members")
            }
            guard let target = try await services.metadata.repository(named: name), target.kind == .local else {
                throw WheelhouseError(.internalError, "the deployment repository '\(name)' of '\(repository.name)' is missing")
            }
            return target
        }
    }

    func outcomeResponse(_ outcome: AddDistributionOutcome) throws -> Response {
        switch outcome {
        case .created(let r), .identical(let r):
            return try Responses.json(.ok, UploadResult(filename: r.filename, sha256: r.sha256, size: r.size))
        case .conflict(let r):
            // twine --skip-existing recognizes a 400 whose reason or body contains "already exist".
            throw WheelhouseError.badRequest("File already exists: '\(r.filename)' with different content (sha256 \(r.sha256)). Uploading a new file requires a new version.")
        }
    }

    func readMetadata(_ path: String, _ filename: DistributionFilename) async throws -> [UInt8] {
        do {
            return try await ArchiveReader.shared.coreMetadata(atPath: path, filename: filename)
        } catch let e as PackagingError {
            throw WheelhouseError.badRequest(e.message)
        }
    }
}

struct UploadResult: Encodable {
    let filename: String
    let sha256: String
    let size: Int64
}
