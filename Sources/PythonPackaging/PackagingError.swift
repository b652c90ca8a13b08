/// An error raised while parsing or checking Python packaging data: names, versions,
/// specifiers, distribution filenames, core metadata and distribution archives.
///
/// Errors are a code plus a message. The code is for programs (new codes can be added
/// without breaking callers); the message is written for the client that sent the data and
/// may be shown to it verbatim, for example in an upload's `400` response.
public struct PackagingError: Error, Sendable, CustomStringConvertible, Equatable {
    /// What kind of input was rejected.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String

        private init(_ name: String) {
            self.name = name
        }

        /// A project name that is not a valid PEP 508 name.
        public static let invalidName = Code("invalidName")
        /// A version that is not a valid PEP 440 version.
        public static let invalidVersion = Code("invalidVersion")
        /// A version specifier (or specifier set) that PEP 440 does not allow.
        public static let invalidSpecifier = Code("invalidSpecifier")
        /// A distribution filename that is neither a wheel, an sdist nor a known legacy form.
        public static let invalidFilename = Code("invalidFilename")
        /// Core metadata that cannot be parsed.
        public static let invalidMetadata = Code("invalidMetadata")
        /// A distribution archive without its core metadata file.
        public static let missingMetadata = Code("missingMetadata")
        /// A distribution archive that is corrupt, of the wrong format, or over a limit.
        public static let invalidArchive = Code("invalidArchive")

        /// The code's name, e.g. `invalidVersion`.
        public var description: String { name }
    }

    /// What kind of input was rejected.
    public let code: Code
    /// A client-facing explanation, e.g. `invalid version '1.0-'`.
    public let message: String

    /// Creates an error.
    /// - Parameters:
    ///   - code: What kind of input was rejected.
    ///   - message: A client-facing explanation.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// The message.
    public var description: String { message }
}
