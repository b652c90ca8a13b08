import Foundation

/// A stored distribution file of a repository: one row of the `distributions` table.
public struct DistributionRecord: Sendable, Codable, Equatable {
    public var id: Int64
    public var repositoryID: Int64
    /// PEP 503-normalized project name.
    public var project: String
    public var version: String
    public var filename: String
    /// `bdist_wheel`, `sdist`, ...
    public var packageType: String
    public var size: Int64
    public var sha256: String
    public var blake2b256: String?
    public var md5: String?
    public var requiresPython: String?
    /// sha256 of the extracted core-metadata file (PEP 658), nil when none is served.
    public var metadataSHA256: String?
    public var yanked: Bool
    public var yankedReason: String?
    public var uploadTime: Date
    public var uploader: String?
    /// The upload form's metadata fields (summary, requires_dist, classifiers, ...), repeated fields kept.
    public var formMetadata: [String: [String]]
    /// For files cached from an upstream: where they came from.
    public var originURL: String?
    public var provenance: String?

    public init(
        id: Int64 = 0, repositoryID: Int64, project: String, version: String, filename: String, packageType: String,
        size: Int64, sha256: String, blake2b256: String? = nil, md5: String? = nil, requiresPython: String? = nil,
        metadataSHA256: String? = nil, yanked: Bool = false, yankedReason: String? = nil, uploadTime: Date,
        uploader: String? = nil, formMetadata: [String: [String]] = [:], originURL: String? = nil, provenance: String? = nil
    ) {
        self.id = id
        self.repositoryID = repositoryID
        self.project = project
        self.version = version
        self.filename = filename
        self.packageType = packageType
        self.size = size
        self.sha256 = sha256
        self.blake2b256 = blake2b256
        self.md5 = md5
        self.requiresPython = requiresPython
        self.metadataSHA256 = metadataSHA256
        self.yanked = yanked
        self.yankedReason = yankedReason
        self.uploadTime = uploadTime
        self.uploader = uploader
        self.formMetadata = formMetadata
        self.originURL = originURL
        self.provenance = provenance
    }
}

/// What adding a distribution did.
public enum AddDistributionOutcome: Sendable, Equatable {
    case created(DistributionRecord)
    /// The same filename with the same sha256 already exists: CI retries re-upload, answer 200.
    case identical(DistributionRecord)
    /// The same filename with other bytes exists.
    case conflict(DistributionRecord)
}

/// Selects files of one project: all, one version (PEP 440 equality) or one filename.
public struct DistributionSelector: Sendable, Equatable {
    public var project: String
    public var version: String?
    public var filename: String?

    public init(project: String, version: String? = nil, filename: String? = nil) {
        self.project = project
        self.version = version
        self.filename = filename
    }
}
