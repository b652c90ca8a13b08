/// The filename of a Python distribution, parsed: wheels (PEP 427 / binary distribution format),
/// sdists (PEP 625, and the legacy `.zip`, `.tar.bz2`, `.tgz`, `.tar.xz`, `.tar` forms), eggs, and
/// the retired `bdist_*` installers that upstream indexes still list.
///
/// ```swift
/// let wheel = try DistributionFilename("foo_bar-1.0-1-py2.py3-none-any.whl")
/// wheel.kind               // .wheel
/// wheel.normalizedProject  // "foo-bar"
/// wheel.buildTag           // "1"
/// wheel.tags               // ["py2-none-any", "py3-none-any"]
/// ```
public struct DistributionFilename: Sendable, Hashable {
    /// The kind of distribution, with the upload API's `filetype` as raw value.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        /// A wheel (`.whl`).
        case wheel = "bdist_wheel"
        /// A source distribution.
        case sdist
        /// An egg (`.egg`).
        case egg = "bdist_egg"
        /// A legacy built distribution (`.exe`, `.msi`, `.rpm`, `.dmg`, or a platform-specific
        /// `bdist_dumb` archive) that upstream indexes still serve; kept for proxying only.
        case other
    }

    /// The filename as given.
    public let filename: String
    /// What kind of distribution this is.
    public let kind: Kind
    /// The project name as spelled in the filename; for wheels un-escaped (`foo_bar` → `foo-bar`).
    public let project: String
    /// ``project`` normalized with ``ProjectName/normalize(_:)``.
    public let normalizedProject: String
    /// The version as spelled in the filename (not necessarily a valid PEP 440 version).
    public let version: String
    /// The wheel build tag (`1`, `2b`), if any.
    public let buildTag: String?
    /// For wheels, every `python-abi-platform` tag, with compressed tag sets expanded in order
    /// (`py2.py3-none-any` → `["py2-none-any", "py3-none-any"]`); empty otherwise.
    public let tags: [String]
    /// The archive extension as spelled in the filename: `.whl`, `.tar.gz`, `.zip`, `.egg`, `.exe`, ….
    public let archiveExtension: String

    /// Parses a distribution filename.
    ///
    /// Parsing is lenient enough for files proxied from an upstream index: versions are not
    /// required to be PEP 440 (use ``validateForUpload(_:)`` for uploads).
    ///
    /// - Parameters:
    ///   - filename: The file's name, without any directory.
    ///   - project: The normalized project the file is listed under, if known. It tells where a
    ///     legacy sdist's name ends when the name or the version contains `-` (`foo-bar-1.0-2.zip`).
    /// - Throws: ``PackagingError`` with code ``PackagingError/Code/invalidFilename``.
    public init(_ filename: String, project: String? = nil) throws {
        guard let (format, stem, archiveExtension) = Self.splitExtension(filename) else {
            throw PackagingError(
                .invalidFilename,
                "invalid distribution filename '\(filename)': unknown extension; expected .whl, .tar.gz, .zip or another distribution format"
            )
        }
        let parts: Parts
        switch format {
        case .wheel:
            parts = try Self.parseWheel(filename: filename, stem: stem)
        case .sdist:
            parts = try Self.parseSdist(filename: filename, stem: stem, project: project)
        case .egg:
            parts = try Self.parseEgg(filename: filename, stem: stem)
        case .installer:
            parts = try Self.parseInstaller(filename: filename, stem: stem, archiveExtension: archiveExtension, project: project)
        }
        self.filename = filename
        self.kind = parts.kind
        self.project = parts.project
        self.normalizedProject = ProjectName.normalize(parts.project)
        self.version = parts.version
        self.buildTag = parts.buildTag
        self.tags = parts.tags
        self.archiveExtension = archiveExtension
    }

    /// The version parsed as PEP 440, if it is one.
    public var parsedVersion: Version? {
        try? Version(version)
    }

    /// The parts a format parser returns.
    struct Parts {
        var kind: Kind
        var project: String
        var version: String
        var buildTag: String? = nil
        var tags: [String] = []
    }

    enum Format {
        case wheel, sdist, egg, installer
    }

    /// Known extensions, longest first where one ends another.
    static let extensions: [(String, Format)] = [
        (".whl", .wheel),
        (".tar.gz", .sdist), (".tar.bz2", .sdist), (".tar.xz", .sdist), (".tar.z", .sdist),
        (".tgz", .sdist), (".tbz", .sdist), (".txz", .sdist), (".tar", .sdist), (".zip", .sdist),
        (".egg", .egg),
        (".exe", .installer), (".msi", .installer), (".rpm", .installer), (".dmg", .installer),
    ]

    /// Splits `filename` into its format, stem and extension (as spelled), matching extensions
    /// case-insensitively. The stem must not be empty.
    static func splitExtension(_ filename: String) -> (Format, stem: String, extension: String)? {
        let bytes = Array(filename.utf8)
        for (suffix, format) in extensions {
            let pattern = Array(suffix.utf8)
            guard bytes.count > pattern.count else { continue }
            let tail = bytes[(bytes.count - pattern.count)...].map { $0 >= 65 && $0 <= 90 ? $0 + 32 : $0 }
            guard tail.elementsEqual(pattern) else { continue }
            let stem = String(decoding: bytes[..<(bytes.count - pattern.count)], as: UTF8.self)
            let spelled = String(decoding: bytes[(bytes.count - pattern.count)...], as: UTF8.self)
            return (format, stem, spelled)
        }
        return nil
    }
}
