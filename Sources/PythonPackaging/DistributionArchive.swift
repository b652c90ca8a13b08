import Foundation

/// Reading the core-metadata file out of a distribution archive lying on disk, without loading
/// the archive into memory: zip files are read through their central directory (``ZipArchive``),
/// tar files are streamed in 64 KiB chunks. Archives are treated as hostile: whatever they
/// contain, reading one ends in bytes or a ``PackagingError``, within bounded time and memory.
public enum DistributionArchive {
    /// The largest core-metadata file accepted, in bytes (16 MiB).
    public static let maximumMetadataSize = 16 << 20

    /// The bytes of the distribution's core-metadata file, exactly as stored:
    /// - wheel: `{name}-{version}.dist-info/METADATA`, from the single top-level `.dist-info`
    ///   directory whose name matches the filename's project and version (after normalization);
    /// - sdist (`.tar.gz`, `.tgz`, `.tar`, `.zip`): `{top}/PKG-INFO`, the first at depth one;
    /// - egg: `EGG-INFO/PKG-INFO`.
    ///
    /// - Parameters:
    ///   - path: Where the archive is.
    ///   - filename: The archive's parsed filename, which decides the format.
    /// - Throws: ``PackagingError`` with code ``PackagingError/Code/missingMetadata`` when the archive
    ///   has no such file (or no matching `.dist-info` directory), and
    ///   ``PackagingError/Code/invalidArchive`` when the file is not a readable archive of its kind,
    ///   several `.dist-info` directories match, the metadata is larger than ``maximumMetadataSize``,
    ///   or the format is one metadata cannot be read from (`.tar.bz2`, `.exe`, …).
    public static func coreMetadata(atPath path: String, filename: DistributionFilename) throws -> [UInt8] {
        let lowerExtension = filename.archiveExtension.lowercased()
        switch filename.kind {
        case .wheel:
            return try withZip(atPath: path, description: "wheel (zip)", filename: filename) { archive in
                try wheelMetadata(in: archive, filename: filename)
            }
        case .egg:
            return try withZip(atPath: path, description: "egg (zip)", filename: filename) { archive in
                guard let entry = archive.entries.first(where: { $0.path == "EGG-INFO/PKG-INFO" }) else {
                    throw PackagingError(.missingMetadata, "'\(filename.filename)' has no EGG-INFO/PKG-INFO file")
                }
                return try extract(entry, from: archive, filename: filename)
            }
        case .sdist where lowerExtension == ".zip":
            return try withZip(atPath: path, description: "sdist (zip)", filename: filename) { archive in
                guard let entry = archive.entries.first(where: { isTopLevelPKGInfo($0.path) && $0.kind == .file }) else {
                    throw PackagingError(.missingMetadata, "'\(filename.filename)' has no PKG-INFO file in its top-level directory")
                }
                return try extract(entry, from: archive, filename: filename)
            }
        case .sdist where lowerExtension == ".tar.gz" || lowerExtension == ".tgz":
            return try tarMetadata(atPath: path, filename: filename, gzip: true)
        case .sdist where lowerExtension == ".tar":
            return try tarMetadata(atPath: path, filename: filename, gzip: false)
        default:
            throw PackagingError(.invalidArchive, "cannot read core metadata from '\(filename.filename)': \(filename.archiveExtension) archives are not supported")
        }
    }

    /// Whether `path` is `{top}/PKG-INFO` (a leading `./` allowed).
    static func isTopLevelPKGInfo(_ path: String) -> Bool {
        var components = path.split(separator: "/", omittingEmptySubsequences: true)
        while components.first == "." {
            components.removeFirst()
        }
        return components.count == 2 && components[1] == "PKG-INFO" && components[0] != ".."
    }

    // MARK: Zip

    private static func withZip(
        atPath path: String,
        description: String,
        filename: DistributionFilename,
        _ body: (ZipArchive) throws -> [UInt8]
    ) throws -> [UInt8] {
        guard FileManager.default.fileExists(atPath: path) else {
            throw PackagingError(.invalidArchive, "cannot read '\(filename.filename)': the file does not exist")
        }
        let archive: ZipArchive
        do {
            archive = try ZipArchive(path: path)
        } catch {
            let reason = (error as? ArchiveFormatError)?.reason ?? "it cannot be read"
            throw PackagingError(.invalidArchive, "'\(filename.filename)' is not a valid \(description) archive: \(reason)")
        }
        return try body(archive)
    }

    private static func wheelMetadata(in archive: ZipArchive, filename: DistributionFilename) throws -> [UInt8] {
        // In order of first appearance, for the messages; the set keeps this linear (30,000
        // directories took seconds with an array lookup).
        var directories: [String] = []
        var seen: Set<String> = []
        var metadataEntries: [String: ZipEntry] = [:]
        for entry in archive.entries {
            let components = entry.path.split(separator: "/", maxSplits: 2, omittingEmptySubsequences: false)
            guard let top = components.first, top.hasSuffix(".dist-info"), components.count > 1 else { continue }
            let directory = String(top)
            if seen.insert(directory).inserted {
                directories.append(directory)
            }
            if components.count == 2 && components[1] == "METADATA" && metadataEntries[directory] == nil {
                metadataEntries[directory] = entry
            }
        }
        let matching = directories.filter { distInfo($0, matches: filename) }
        guard let directory = matching.first else {
            let found = directories.isEmpty ? "none" : listed(directories)
            throw PackagingError(
                .missingMetadata,
                "'\(filename.filename)' has no .dist-info directory for \(filename.normalizedProject) \(filename.version) (found: \(found))"
            )
        }
        guard matching.count == 1 else {
            throw PackagingError(.invalidArchive, "'\(filename.filename)' has several matching .dist-info directories: \(listed(matching))")
        }
        guard let entry = metadataEntries[directory] else {
            throw PackagingError(.missingMetadata, "'\(filename.filename)' has no \(directory)/METADATA file")
        }
        return try extract(entry, from: archive, filename: filename)
    }

    /// The first few names, so that a hostile archive cannot make the message huge.
    private static func listed(_ names: [String]) -> String {
        let shown = names.prefix(10).joined(separator: ", ")
        return names.count > 10 ? "\(shown) and \(names.count - 10) more" : shown
    }

    /// Whether `{name}-{version}.dist-info` names the wheel's project and version.
    static func distInfo(_ directory: String, matches filename: DistributionFilename) -> Bool {
        let stem = directory.dropLast(".dist-info".count).unicodeScalars
        let project = Array(filename.normalizedProject.unicodeScalars)
        // PEP 503 normalization reads a name left to right, so the normalized text before each dash
        // is a prefix of the normalized stem: one pass finds the dashes whose prefix names the
        // project, in time linear in the name however many dashes a hostile archive puts in it.
        var normalized: [Unicode.Scalar] = []
        var inSeparatorRun = false
        for index in stem.indices {
            let scalar = stem[index]
            if scalar == "-", normalized.count == project.count, normalized == project,
               versionMatches(String(stem[stem.index(after: index)...]), filename.version) {
                return true
            }
            guard normalized.count <= project.count else { return false }
            if scalar == "-" || scalar == "_" || scalar == "." {
                if !inSeparatorRun {
                    normalized.append("-")
                    inSeparatorRun = true
                }
            } else {
                inSeparatorRun = false
                normalized += ProjectName.normalize(String(scalar)).unicodeScalars
            }
        }
        return false
    }

    private static func versionMatches(_ version: String, _ expected: String) -> Bool {
        if version == expected {
            return true
        }
        if let left = try? Version(version), let right = try? Version(expected) {
            return left == right
        }
        return false
    }

    private static func extract(_ entry: ZipEntry, from archive: ZipArchive, filename: DistributionFilename) throws -> [UInt8] {
        guard entry.uncompressedSize <= UInt64(maximumMetadataSize) else {
            throw tooLarge(entry.path, filename)
        }
        do {
            // The reader stops inflating as soon as the output passes the declared size.
            return try archive.contents(of: entry, maximumSize: maximumMetadataSize)
        } catch {
            let reason = (error as? ArchiveFormatError)?.reason ?? "it cannot be read"
            throw PackagingError(.invalidArchive, "'\(filename.filename)' is corrupt: \(entry.path) cannot be extracted: \(reason)")
        }
    }

    static func tooLarge(_ path: String, _ filename: DistributionFilename) -> PackagingError {
        PackagingError(.invalidArchive, "'\(filename.filename)' has a '\(path)' larger than \(maximumMetadataSize >> 20) MiB")
    }
}
