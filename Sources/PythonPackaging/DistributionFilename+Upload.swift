extension DistributionFilename {
    /// The extensions accepted for new uploads: wheels and PEP 527 / PEP 625 sdists.
    public static let uploadExtensions: [String] = [".whl", ".tar.gz", ".zip"]

    /// The longest filename accepted for upload, in UTF-8 bytes (a common filesystem limit).
    public static let maximumUploadFilenameLength = 255

    /// Parses and strictly checks the filename of an uploaded file.
    ///
    /// Rejects empty names, `/`, `\`, `..`, NUL and other control characters, a leading `.`,
    /// names longer than ``maximumUploadFilenameLength`` bytes, and anything but a wheel or an
    /// sdist with one of ``uploadExtensions`` (eggs and the `bdist_*` installers retired by PEP 527
    /// are refused). The project must be a valid PEP 508 name and the version a PEP 440 version.
    ///
    /// - Throws: ``PackagingError`` with code ``PackagingError/Code/invalidFilename``.
    public static func validateForUpload(_ filename: String) throws -> DistributionFilename {
        func invalid(_ reason: String) -> PackagingError {
            PackagingError(.invalidFilename, "invalid filename '\(filename)': \(reason)")
        }
        guard !filename.isEmpty else {
            throw PackagingError(.invalidFilename, "invalid filename: the filename is empty")
        }
        if let bad = filename.unicodeScalars.first(where: { $0.properties.generalCategory == .control }) {
            let code = String(bad.value, radix: 16, uppercase: true)
            throw PackagingError(.invalidFilename, "invalid filename: it contains the control character U+\(String(repeating: "0", count: max(0, 4 - code.count)) + code)")
        }
        guard !filename.contains("/"), !filename.contains("\\") else {
            throw invalid("a filename cannot contain '/' or '\\'")
        }
        guard !filename.contains("..") else {
            throw invalid("a filename cannot contain '..'")
        }
        guard !filename.hasPrefix(".") else {
            throw invalid("a filename cannot start with '.'")
        }
        guard filename.utf8.count <= maximumUploadFilenameLength else {
            throw invalid("a filename cannot be longer than \(maximumUploadFilenameLength) bytes")
        }
        guard uploadExtensions.contains(where: { filename.hasSuffix($0) }) else {
            throw invalid("only wheels (.whl) and source distributions (.tar.gz, .zip) can be uploaded")
        }
        let parsed = try DistributionFilename(filename)
        guard parsed.kind == .wheel || parsed.kind == .sdist else {
            throw invalid("only wheels (.whl) and source distributions (.tar.gz, .zip) can be uploaded")
        }
        guard ProjectName.isValid(parsed.project) else {
            throw invalid("'\(parsed.project)' is not a valid project name")
        }
        guard (try? Version(parsed.version)) != nil else {
            throw invalid("'\(parsed.version)' is not a valid PEP 440 version")
        }
        return parsed
    }
}
