import Foundation
import ZIPFoundation

/// Reading the core-metadata file out of a distribution archive lying on disk, without loading
/// the archive into memory: zip files are read through their central directory, tar files are
/// streamed in 64 KiB chunks.
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
                guard let entry = archive["EGG-INFO/PKG-INFO"] else {
                    throw PackagingError(.missingMetadata, "'\(filename.filename)' has no EGG-INFO/PKG-INFO file")
                }
                return try extract(entry, from: archive, filename: filename)
            }
        case .sdist where lowerExtension == ".zip":
            return try withZip(atPath: path, description: "sdist (zip)", filename: filename) { archive in
                guard let entry = archive.first(where: { isTopLevelPKGInfo($0.path) && $0.type == .file }) else {
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
        _ body: (Archive) throws -> [UInt8]
    ) throws -> [UInt8] {
        guard FileManager.default.fileExists(atPath: path) else {
            throw PackagingError(.invalidArchive, "cannot read '\(filename.filename)': the file does not exist")
        }
        let archive: Archive
        do {
            archive = try Archive(url: URL(fileURLWithPath: path), accessMode: .read)
        } catch {
            throw PackagingError(.invalidArchive, "'\(filename.filename)' is not a valid \(description) archive")
        }
        return try body(archive)
    }

    private static func wheelMetadata(in archive: Archive, filename: DistributionFilename) throws -> [UInt8] {
        var directories: [String] = []
        var metadataEntries: [String: Entry] = [:]
        for entry in archive {
            let components = entry.path.split(separator: "/", omittingEmptySubsequences: false)
            guard let top = components.first, top.hasSuffix(".dist-info"), components.count > 1 else { continue }
            let directory = String(top)
            if !directories.contains(directory) {
                directories.append(directory)
            }
            if components.count == 2 && components[1] == "METADATA" && metadataEntries[directory] == nil {
                metadataEntries[directory] = entry
            }
        }
        let matching = directories.filter { distInfo($0, matches: filename) }
        guard let directory = matching.first else {
            let found = directories.isEmpty ? "none" : directories.joined(separator: ", ")
            throw PackagingError(
                .missingMetadata,
                "'\(filename.filename)' has no .dist-info directory for \(filename.normalizedProject) \(filename.version) (found: \(found))"
            )
        }
        guard matching.count == 1 else {
            throw PackagingError(.invalidArchive, "'\(filename.filename)' has several matching .dist-info directories: \(matching.joined(separator: ", "))")
        }
        guard let entry = metadataEntries[directory] else {
            throw PackagingError(.missingMetadata, "'\(filename.filename)' has no \(directory)/METADATA file")
        }
        return try extract(entry, from: archive, filename: filename)
    }

    /// Whether `{name}-{version}.dist-info` names the wheel's project and version.
    static func distInfo(_ directory: String, matches filename: DistributionFilename) -> Bool {
        let stem = directory.dropLast(".dist-info".count)
        for dash in stem.indices where stem[dash] == "-" {
            let name = String(stem[..<dash])
            let version = String(stem[stem.index(after: dash)...])
            guard ProjectName.normalize(name) == filename.normalizedProject else { continue }
            if version == filename.version {
                return true
            }
            if let left = try? Version(version), let right = try? Version(filename.version), left == right {
                return true
            }
        }
        return false
    }

    private static func extract(_ entry: Entry, from archive: Archive, filename: DistributionFilename) throws -> [UInt8] {
        guard entry.uncompressedSize <= UInt64(maximumMetadataSize) else {
            throw tooLarge(entry.path, filename)
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(Int(entry.uncompressedSize))
        do {
            _ = try archive.extract(entry, skipCRC32: false) { chunk in
                // The central directory's size is not trusted: stop at the limit whatever it says.
                guard bytes.count + chunk.count <= maximumMetadataSize else {
                    throw tooLarge(entry.path, filename)
                }
                bytes.append(contentsOf: chunk)
            }
        } catch let error as PackagingError {
            throw error
        } catch {
            throw PackagingError(.invalidArchive, "'\(filename.filename)' is corrupt: \(entry.path) cannot be extracted")
        }
        return bytes
    }

    static func tooLarge(_ path: String, _ filename: DistributionFilename) -> PackagingError {
        PackagingError(.invalidArchive, "'\(filename.filename)' has a \(path) larger than \(maximumMetadataSize >> 20) MiB")
    }
}
