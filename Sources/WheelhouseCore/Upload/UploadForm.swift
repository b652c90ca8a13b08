/// The non-file fields of a legacy upload (`:action=file_upload`), collected while the
/// `content` part streams to disk.
public struct UploadForm: Sendable, Equatable {
    /// Field name → values in order; list fields (`classifiers`, `requires_dist`, ...) repeat.
    public private(set) var fields: [String: [String]] = [:]
    public private(set) var totalBytes = 0

    /// Generous for real metadata (a long description is the largest field), small enough that
    /// a client cannot make the server hold an unbounded form in memory.
    public static let maxFieldBytes = 4 << 20
    public static let maxTotalBytes = 16 << 20

    public init() {}

    public mutating func add(_ name: String, _ value: String) throws(WheelhouseError) {
        totalBytes += value.utf8.count + name.utf8.count
        guard totalBytes <= Self.maxTotalBytes else {
            throw WheelhouseError(.payloadTooLarge, "upload form fields exceed \(Self.maxTotalBytes) bytes")
        }
        fields[name, default: []].append(value)
    }

    public func value(_ name: String) -> String? {
        fields[name]?.first.flatMap { $0.isEmpty ? nil : $0 }
    }

    /// The form without transport fields and digests: what is kept as the file's metadata.
    public var metadataFields: [String: [String]] {
        var kept = fields
        for k in [":action", "protocol_version", "sha256_digest", "blake2_256_digest", "md5_digest", "gpg_signature"] {
            kept[k] = nil
        }
        return kept
    }
}
