import Foundation
import WheelhouseBlobs
import WheelhouseCore
import WheelhouseSQL

/// The embedded default: SQLite metadata and filesystem blobs in one data directory.
public struct EmbeddedStores: Sendable {
    public let metadata: SQLiteMetadataStore
    public let blobs: FileSystemBlobStore
    public let staging: String

    public init(dataDirectory: String) throws {
        let fm = FileManager.default
        try fm.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true)
        staging = dataDirectory + "/tmp"
        // Staging files of a previous run are uploads that were never acknowledged: drop them.
        try? fm.removeItem(atPath: staging)
        metadata = try SQLiteMetadataStore(path: dataDirectory + "/wheelhouse.sqlite")
        blobs = try FileSystemBlobStore(root: dataDirectory + "/blobs", staging: staging)
    }
}
