import Crypto
import Foundation
import NIOCore
import NIOPosix
import PythonPackaging
import WheelhouseCore
import _NIOFileSystem

extension RemoteProxy {
    /// Where the bytes of a requested file come from.
    public enum FileSource: Sendable {
        /// Cached: stream the blob.
        case blob(BlobKey)
        /// Being fetched: stream it while it fills. `length` when known.
        case filling(InflightDownload, length: Int64?)
    }

    /// Resolves a file of a remote repository: cached, or fetched once (the first request starts the
    /// download, every other request attaches to it).
    public func file(repository: Repository, sha256: String, filename: String) async throws -> FileSource {
        if let row = try await metadata.distribution(repository: repository.id, filename: filename) {
            guard sha256 == row.sha256 || sha256 == RemotePage.unknownHash, let key = BlobKey(sha256: row.sha256) else {
                throw WheelhouseError.notFound("file '\(filename)' not found in '\(repository.name)'")
            }
            telemetry.cacheHit("file")
            return .blob(key)
        }
        let (project, upstreamFile) = try await upstreamFile(repository: repository, filename: filename)
        let expected = upstreamFile.hashes["sha256"]
        guard sha256 == RemotePage.unknownHash ? expected == nil : expected == sha256 else {
            throw WheelhouseError.notFound("file '\(filename)' with sha256 \(sha256) not found in '\(repository.name)'")
        }
        if repository.settings.offline == true {
            throw WheelhouseError.notFound("file '\(filename)' is not cached and '\(repository.name)' is offline")
        }
        telemetry.cacheMiss("file")
        let download = await downloads.attachOrStart(
            repository: repository.name, filename: filename, stagingPath: staging + "/fetch-" + UUID().uuidString
        ) { download in
            await self.fetch(download, repository: repository, project: project, file: upstreamFile)
        }
        switch await download.head() {
        case .streaming(let length): return .filling(download, length: length ?? upstreamFile.size)
        case .failed(let reason): throw WheelhouseError(.badGateway, "cannot fetch '\(filename)' from upstream: \(reason)")
        case .completed(let sha): return .blob(BlobKey(sha256: sha)!)
        case .completedElsewhere, .starting:
            guard let row = try await metadata.distribution(repository: repository.id, filename: filename), let key = BlobKey(sha256: row.sha256) else {
                throw WheelhouseError(.badGateway, "'\(filename)' was fetched by another node but is not in the store")
            }
            return .blob(key)
        }
    }

    /// The size of an uncached file without downloading it (HEAD).
    public func upstreamSize(repository: Repository, filename: String) async throws -> Int64? {
        let (_, file) = try await upstreamFile(repository: repository, filename: filename)
        if let size = file.size { return size }
        guard repository.settings.offline != true else { return nil }
        return try await upstreams(repository).contentLength(url: file.url)
    }

    /// Finds the upstream listing of a file: the project is read from the filename (for legacy
    /// sdists, every split at a `-` followed by a digit is tried against the stored pages).
    func upstreamFile(repository: Repository, filename: String) async throws -> (String, IndexFile) {
        for project in Self.candidateProjects(filename) {
            if let page = try await metadata.upstreamPage(repository: repository.id, project: project),
                let file = RemotePage.file(named: filename, in: page)
            {
                return (project, file)
            }
        }
        throw WheelhouseError.notFound("file '\(filename)' is not listed by a cached page of '\(repository.name)'")
    }

    static func candidateProjects(_ filename: String) -> [String] {
        var out: [String] = []
        if let parsed = try? DistributionFilename(filename) { out.append(parsed.normalizedProject) }
        var index = filename.startIndex
        while let dash = filename[index...].firstIndex(of: "-") {
            let next = filename.index(after: dash)
            if next < filename.endIndex, filename[next].isNumber {
                let candidate = ProjectName.normalize(String(filename[..<dash]))
                if !out.contains(candidate) { out.append(candidate) }
            }
            index = next
        }
        return out
    }

    /// The holder's side of a file fetch: lease, download while teeing to readers, verify, commit.
    func fetch(_ download: InflightDownload, repository: Repository, project: String, file: IndexFile) async {
        let key = LeaseKey.file(repository: repository.name, filename: file.filename)
        do {
            while true {
                switch try await coordinator.acquire(key, ttl: Self.leaseTTL) {
                case .granted(let lease):
                    if lease.takenOverFrom != nil { telemetry.leaseTakeover() }
                    do {
                        let sha = try await downloadAndCommit(download, lease: lease, repository: repository, project: project, file: file)
                        await download.finish(.completed(sha256: sha))
                        telemetry.upstreamFetch("file", outcome: "ok")
                        try await coordinator.release(lease, outcome: .completed)
                    } catch {
                        let message = (error as? WheelhouseError)?.message ?? "\(error)"
                        logger.warning("upstream download failed", metadata: ["wh.repo": "\(repository.name)", "wh.file": "\(file.filename)", "reason": "\(message)"])
                        await download.finish(.failed(message))
                        telemetry.upstreamFetch("file", outcome: "error")
                        try? await coordinator.release(lease, outcome: .failed(message))
                    }
                    try? FileManager.default.removeItem(atPath: download.stagingPath)
                    return
                case .held(_, let until):
                    telemetry.leaseWait()
                    // Another node is downloading: wait for its announcement, then read what it committed.
                    let wait = min(max(until.timeIntervalSince(now()), 0.05), 60)
                    let outcome = try await coordinator.waitForOutcome(key, timeout: .milliseconds(Int64(wait * 1000)))
                    if try await metadata.distribution(repository: repository.id, filename: file.filename) != nil {
                        await download.finish(.completedElsewhere)
                        return
                    }
                    if case .failed(let message) = outcome {
                        await download.finish(.failed(message))
                        return
                    }
                    // Timed out or the holder died: race for the lease again.
                }
            }
        } catch {
            await download.finish(.failed((error as? WheelhouseError)?.message ?? "\(error)"))
        }
    }

    func downloadAndCommit(_ download: InflightDownload, lease: Lease, repository: Repository, project: String, file: IndexFile) async throws -> String {
        let upstream = try upstreams(repository)
        let renewal = LeaseRenewal(coordinator: coordinator, lease: lease)
        let path = download.stagingPath
        let fetched = try await renewal.whileRenewing { () -> FetchedBytes in
            var hasher = SHA256()
            var total: Int64 = 0
            var declared: Int64? = nil
            // Not transactional (an unnamed O_TMPFILE linked at close): readers attach to the file by path while it fills.
            let options = OpenOptions.Write(existingFile: .none, newFile: .init(transactionalCreation: false))
            try await FileSystem.shared.withFileHandle(forWritingAt: FilePath(path), options: options) { handle in
                var pending = ByteBuffer()
                try await upstream.download(url: file.url) { head in
                    declared = head.contentLength
                    if let size = file.size, let length = head.contentLength, size != length {
                        throw WheelhouseError(.badGateway, "upstream sends \(length) bytes, its page says \(size)")
                    }
                    await download.started(length: head.contentLength ?? file.size)
                } body: { chunk in
                    telemetry.upstreamBytes(chunk.readableBytes)
                    chunk.withUnsafeReadableBytes { hasher.update(bufferPointer: $0) }
                    var chunk = chunk
                    pending.writeBuffer(&chunk)
                    if pending.readableBytes >= 256 << 10 {
                        let n = pending.readableBytes
                        _ = try await handle.write(contentsOf: pending, toAbsoluteOffset: total)
                        total += Int64(n)
                        pending.clear()
                        // Hold back the last byte: no client may hold the complete body before
                        // its sha256 is verified and committed (then `advanced(to: total)` below).
                        await download.advanced(to: total - 1)
                    }
                }
                if pending.readableBytes > 0 {
                    let n = pending.readableBytes
                    _ = try await handle.write(contentsOf: pending, toAbsoluteOffset: total)
                    total += Int64(n)
                }
            }
            let sha = hasher.finalize().map { String(format: "%02x", $0) }.joined()
            return FetchedBytes(sha256: sha, size: total, declared: declared)
        }
        let sha = fetched.sha256, total = fetched.size, declared = fetched.declared
        if let expectedLength = declared ?? file.size, expectedLength != total {
            throw WheelhouseError(.badGateway, "truncated upstream body: \(total) of \(expectedLength) bytes")
        }
        if let expected = file.hashes["sha256"], expected != sha {
            throw WheelhouseError(.badGateway, "sha256 mismatch: upstream lists \(expected), received \(sha)")
        }
        // Fencing: if our lease expired and someone else took over, they commit, not us.
        guard try await coordinator.isCurrent(lease) else {
            throw WheelhouseError(.unavailable, "lost the fetch lease for '\(file.filename)'")
        }
        let parsed = try? DistributionFilename(file.filename, project: project)
        var extracted: (sha256: String, bytes: [UInt8])? = nil
        if parsed?.kind == .wheel, file.coreMetadata == nil, let parsed {
            // The upstream serves no metadata file: extract it once, and advertise it from now on.
            // A wheel whose metadata cannot be read is still served (hash-verified), without one.
            if let bytes = try? await archiveReader.coreMetadata(atPath: path, filename: parsed) {
                extracted = (SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined(), bytes)
            }
        }
        // The upstream's own metadata file, if already fetched (proxied .metadata), becomes the row's.
        let proxied = extracted == nil ? file.coreMetadata?["sha256"].flatMap(BlobKey.init(sha256:)) : nil
        // Claimed before the bytes are checked or written: see BlobReferenceStore.
        let blobs = self.blobs
        try await BlobReferences.withClaim(on: [sha] + [extracted?.sha256, proxied?.sha256].compactMap { $0 }, in: metadata) { claim in
            var metadataSHA = extracted?.sha256
            if let extracted {
                try await blobs.put(BlobKey(sha256: extracted.sha256)!, bytes: extracted.bytes)
            } else if let proxied, try await blobs.storedSize(of: proxied) != nil {
                metadataSHA = proxied.sha256
            }
            try await blobs.put(BlobKey(sha256: sha)!, contentsOfFile: path)
            try claim.ensureUsable()
            let record = DistributionRecord(
                repositoryID: repository.id, project: project, version: parsed?.version ?? "", filename: file.filename,
                packageType: parsed?.kind.rawValue ?? "unknown", size: total, sha256: sha, requiresPython: file.requiresPython,
                metadataSHA256: metadataSHA, uploadTime: now(), uploader: nil, originURL: file.url, provenance: file.provenance)
            _ = try await metadata.addDistribution(record, displayName: project)
        }
        await download.advanced(to: total)
        return sha
    }
}

/// Renews a lease in the background while `body` runs, and stops when it ends.
struct LeaseRenewal {
    let coordinator: any FetchCoordinator
    let lease: Lease

    func whileRenewing<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask {
                var current = lease
                while true {
                    try await Task.sleep(for: RemoteProxy.leaseTTL / 3)
                    guard let renewed = try await coordinator.renew(current, ttl: RemoteProxy.leaseTTL) else {
                        throw WheelhouseError(.unavailable, "lost the fetch lease for \(lease.key)")
                    }
                    current = renewed
                }
            }
            group.addTask { try await body() }
            defer { group.cancelAll() }
            while let next = try await group.next() {
                if let value = next { return value }
            }
            throw CancellationError()
        }
    }
}

struct FetchedBytes: Sendable {
    var sha256: String
    var size: Int64
    var declared: Int64?
}
