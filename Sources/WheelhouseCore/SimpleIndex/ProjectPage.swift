/// One file link on a project page, with every attribute the simple API can carry.
///
/// The same value serves uploaded files and files listed by an upstream, so a proxy or a merge
/// never drops an attribute (PROTOCOL.md: "a proxy or a merged view must never drop the yanked flag").
public struct IndexFile: Sendable, Codable, Equatable {
    public var filename: String
    /// Relative to the project page (`../../files/{sha256}/{filename}`), so one rendered page serves
    /// every URL alias of the repository and every host name.
    public var url: String
    /// Algorithm → lower-case hex. `sha256` is present for every file Wheelhouse serves.
    public var hashes: [String: String]
    public var requiresPython: String?
    /// nil: not yanked; "": yanked without reason; otherwise the reason.
    public var yanked: String?
    /// The core-metadata file's own hashes (PEP 658/714); nil when no metadata file is served.
    public var coreMetadata: [String: String]?
    public var size: Int64?
    /// ISO 8601 UTC with a `Z` suffix (PEP 700).
    public var uploadTime: String?
    /// PEP 740 provenance URL, when the upstream offers one.
    public var provenance: String?
    /// The PEP 440 version this file belongs to, when known (used for the `versions` list).
    public var version: String?

    public init(
        filename: String, url: String, hashes: [String: String], requiresPython: String? = nil,
        yanked: String? = nil, coreMetadata: [String: String]? = nil, size: Int64? = nil,
        uploadTime: String? = nil, provenance: String? = nil, version: String? = nil
    ) {
        self.filename = filename
        self.url = url
        self.hashes = hashes
        self.requiresPython = requiresPython
        self.yanked = yanked
        self.coreMetadata = coreMetadata
        self.size = size
        self.uploadTime = uploadTime
        self.provenance = provenance
        self.version = version
    }

    public var sha256: String? { hashes["sha256"] }
}

/// A project page as a value: what both the HTML and the JSON forms are rendered from.
public struct ProjectPage: Sendable, Codable, Equatable {
    /// The display name (as first uploaded, or as the upstream spells it).
    public var name: String
    /// Files in page order.
    public var files: [IndexFile]
    /// PEP 700 `versions`, sorted by PEP 440.
    public var versions: [String]
    /// PEP 792 project status (`active`, `archived`, `quarantined`, `deprecated`); nil means active.
    public var status: String?
    public var statusReason: String?

    public init(name: String, files: [IndexFile], versions: [String], status: String? = nil, statusReason: String? = nil) {
        self.name = name
        self.files = files
        self.versions = versions
        self.status = status
        self.statusReason = statusReason
    }
}

/// An entry of the root project list.
public struct ProjectListEntry: Sendable, Equatable {
    public var name: String
    public var normalizedName: String
    public init(name: String, normalizedName: String) {
        self.name = name
        self.normalizedName = normalizedName
    }
}

/// The simple API version Wheelhouse speaks: PEP 700 (1.1), 708 metadata fields omitted, PEP 740 (1.3), PEP 792 (1.4).
public enum SimpleAPI {
    public static let version = "1.4"
}
