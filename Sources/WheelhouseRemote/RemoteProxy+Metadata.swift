import Crypto
import Foundation
import NIOCore
import WheelhouseCore

extension RemoteProxy {
    /// The core-metadata file (PEP 658) of a remote file: extracted from the cached wheel, or proxied
    /// from the upstream's own `.metadata` (checked against the hash its page lists, then cached).
    public func metadataFile(repository: Repository, sha256: String, filename: String) async throws -> BlobKey {
        if let row = try await metadata.distribution(repository: repository.id, filename: filename),
            sha256 == row.sha256 || sha256 == RemotePage.unknownHash,
            let metaSHA = row.metadataSHA256, let key = BlobKey(sha256: metaSHA)
        {
            return key
        }
        let (_, file) = try await upstreamFile(repository: repository, filename: filename)
        guard let advertised = file.coreMetadata, let expected = advertised["sha256"], let key = BlobKey(sha256: expected) else {
            throw WheelhouseError.notFound("no core metadata for '\(filename)'")
        }
        if try await blobs.size(of: key) != nil { return key }
        guard repository.settings.offline != true else {
            throw WheelhouseError.notFound("the metadata of '\(filename)' is not cached and '\(repository.name)' is offline")
        }
        var bytes: [UInt8] = []
        try await upstreams(repository).download(url: file.url + ".metadata") { _ in } body: { chunk in
            guard bytes.count + chunk.readableBytes <= 16 << 20 else {
                throw WheelhouseError(.badGateway, "upstream metadata of '\(filename)' is larger than 16 MiB")
            }
            bytes.append(contentsOf: chunk.readableBytesView)
        }
        let actual = SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
        guard actual == expected else {
            throw WheelhouseError(.badGateway, "sha256 mismatch for the metadata of '\(filename)': upstream lists \(expected), received \(actual)")
        }
        if let row = try await metadata.distribution(repository: repository.id, filename: filename), row.metadataSHA256 == nil {
            // The wheel is cached: its row names the metadata from now on, so the collector keeps it.
            try await BlobReferences.withClaim(on: [key.sha256], in: metadata) { claim in
                try await blobs.put(key, bytes: bytes)
                try claim.ensureUsable()
                try await metadata.setMetadataSHA256(repository: repository.id, filename: filename, sha256: key.sha256)
            }
        } else {
            // No row names this blob (the wheel is not cached): the claim keeps it until it expires,
            // then the collector may take it and the next request fetches it again.
            _ = try await BlobClaim.take([key.sha256], in: metadata)
            try await blobs.put(key, bytes: bytes)
        }
        return key
    }
}
