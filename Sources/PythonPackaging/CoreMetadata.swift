/// Core metadata: the `METADATA` file of a wheel or the `PKG-INFO` file of an sdist, in its
/// email-header format.
///
/// Fields keep their order and repetitions; look them up case-insensitively with
/// ``values(_:)`` and ``value(_:)``, or use the named accessors.
///
/// ```swift
/// let metadata = try CoreMetadata(parsing: Array("Metadata-Version: 2.1\nName: foo\nVersion: 1.0\n".utf8))
/// metadata.name        // "foo"
/// metadata.version     // "1.0"
/// ```
public struct CoreMetadata: Sendable, Equatable {
    /// One `Name: value` header.
    public struct Field: Sendable, Hashable {
        /// The field name as written, e.g. `Requires-Dist`.
        public let name: String
        /// The value, with continuation lines joined by `\n`.
        public let value: String

        /// Creates a field.
        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    /// Every header field, in file order.
    public let fields: [Field]
    /// The message body (the text after the first blank line, with `\n` line endings), if any.
    public let body: String?

    /// Creates metadata from fields and an optional body.
    public init(fields: [Field], body: String? = nil) {
        self.fields = fields
        self.body = body
    }

    /// All values of the field `name` (compared case-insensitively), in file order.
    public func values(_ name: String) -> [String] {
        let wanted = name.lowercased()
        return fields.filter { $0.name.lowercased() == wanted }.map(\.value)
    }

    /// The first value of the field `name` (compared case-insensitively), if any.
    public func value(_ name: String) -> String? {
        let wanted = name.lowercased()
        return fields.first { $0.name.lowercased() == wanted }?.value
    }

    /// `Metadata-Version`.
    public var metadataVersion: String? { value("Metadata-Version") }
    /// `Name`, as written.
    public var name: String? { value("Name") }
    /// `Version`, as written.
    public var version: String? { value("Version") }
    /// `Summary`.
    public var summary: String? { value("Summary") }
    /// `Requires-Python`, a specifier set such as `>=3.9`.
    public var requiresPython: String? { value("Requires-Python") }
    /// Every `Requires-Dist`.
    public var requiresDist: [String] { values("Requires-Dist") }
    /// Every `Provides-Extra`.
    public var providesExtra: [String] { values("Provides-Extra") }
    /// The `Description` field, or else the message body when it is not empty.
    public var description: String? {
        if let field = value("Description") {
            return field
        }
        guard let body, !body.isEmpty else { return nil }
        return body
    }
    /// `Description-Content-Type`, e.g. `text/markdown`.
    public var descriptionContentType: String? { value("Description-Content-Type") }
    /// `License`.
    public var license: String? { value("License") }
    /// `License-Expression` (PEP 639).
    public var licenseExpression: String? { value("License-Expression") }
    /// Every `Classifier`.
    public var classifiers: [String] { values("Classifier") }
    /// Every `Project-URL`, as `label, url`.
    public var projectURLs: [String] { values("Project-URL") }
    /// Every `Dynamic` field name (PEP 643: fields an sdist's build may still change).
    public var dynamic: [String] { values("Dynamic") }
}
