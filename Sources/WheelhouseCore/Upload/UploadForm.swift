/// The non-file fields of a legacy upload (`:action=file_upload`), collected while the
/// `content` part streams to disk.
public struct UploadForm: Sendable, Equatable {
    /// Field name → values in order; list fields (`classifiers`, `requires_dist`, ...) repeat.
    public private(set) var fields: [String: [String]] = [:]
    /// What the stored fields count against `maxTotalBytes`.
    public private(set) var totalBytes = 0

    /// The long description (a project's README) is the only field real metadata makes large: the
    /// biggest on the public index are a few hundred KiB. Warehouse bounds `summary` (512
    /// characters) and otherwise only the whole request; we bound each field and their sum, so 24
    /// parallel abusive uploads hold at most ~24 × 3 MiB, and nothing larger reaches the database.
    public static let maxDescriptionBytes = 2 << 20
    /// Every other field (a license text, an attestation bundle, one classifier).
    public static let maxFieldBytes = 256 << 10
    /// All fields together, each counted with `fieldOverhead` for the bookkeeping of a value.
    public static let maxTotalBytes = 3 << 20
    static let fieldOverhead = 64

    public init() {}

    /// The most bytes field `name` may hold.
    public static func maxBytes(of name: String) -> Int {
        name == "description" ? maxDescriptionBytes : maxFieldBytes
    }

    /// Checks a field while it arrives, before its bytes are kept: 400 naming the field when it
    /// grows past its limit or the form past its total.
    public func admit(field name: String, bytes: Int) throws(WheelhouseError) {
        let limit = Self.maxBytes(of: name)
        guard bytes <= limit else {
            throw .badRequest("form field '\(Self.printable(name))' is larger than \(limit) bytes")
        }
        guard totalBytes + Self.cost(name, bytes) <= Self.maxTotalBytes else {
            throw .badRequest("form fields exceed \(Self.maxTotalBytes) bytes in total (at field '\(Self.printable(name))')")
        }
    }

    public mutating func add(_ name: String, _ value: String) throws(WheelhouseError) {
        try admit(field: name, bytes: value.utf8.count)
        totalBytes += Self.cost(name, value.utf8.count)
        fields[name, default: []].append(value)
    }

    static func cost(_ name: String, _ bytes: Int) -> Int { bytes + name.utf8.count + fieldOverhead }

    /// A field name as it may appear in a message: at most 64 ASCII characters.
    static func printable(_ name: String) -> String {
        String(name.unicodeScalars.prefix(64).map { $0.isASCII && $0.value >= 0x20 && $0.value != 0x7F ? Character($0) : "?" })
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
