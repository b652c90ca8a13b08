import Foundation

extension DistributionArchive {
    /// How much tar data (after gunzip) is read looking for `{top}/PKG-INFO` before the sdist is
    /// refused: 256 MiB, or 32 times the file's size when that is more. setuptools writes PKG-INFO
    /// among the first members, hatchling and flit last (so a large sdist of theirs is read to its
    /// end); source compresses a few times over, while a gzip bomb (~1000:1) is rejected early.
    public static let maximumSdistScanSize = 256 << 20
    static let maximumSdistRatio = 32

    static func sdistScanLimit(fileSize: Int) -> Int {
        let (scaled, overflow) = max(0, fileSize).multipliedReportingOverflow(by: maximumSdistRatio)
        return overflow ? Int.max : max(maximumSdistScanSize, scaled)
    }

    /// Streams a (gzipped) tar sdist and returns its `{top}/PKG-INFO`, stopping as soon as it is read.
    static func tarMetadata(atPath path: String, filename: DistributionFilename, gzip: Bool) throws -> [UInt8] {
        guard FileManager.default.fileExists(atPath: path) else {
            throw PackagingError(.invalidArchive, "cannot read '\(filename.filename)': the file does not exist")
        }
        let description = gzip ? "sdist (tar.gz)" : "sdist (tar)"
        let fileSize = ((try? FileManager.default.attributesOfItem(atPath: path)[.size]) as? NSNumber)?.intValue ?? 0
        let limit = sdistScanLimit(fileSize: fileSize)
        do {
            if gzip {
                let stream = try GzipFileStream(path: path, limit: limit)
                defer { stream.close() }
                return try findPKGInfo(TarReader(stream: stream), filename: filename)
            } else {
                let stream = try PlainFileStream(path: path, limit: limit)
                defer { stream.close() }
                return try findPKGInfo(TarReader(stream: stream), filename: filename)
            }
        } catch let error as PackagingError {
            throw error
        } catch {
            let reason = (error as? ArchiveFormatError)?.reason ?? "it cannot be read"
            throw PackagingError(.invalidArchive, "'\(filename.filename)' is not a valid \(description) archive: \(reason)")
        }
    }

    private static func findPKGInfo<Stream>(_ reader: TarReader<Stream>, filename: DistributionFilename) throws -> [UInt8] {
        var reader = reader
        while let entry = try reader.next() {
            guard entry.isRegularFile, isTopLevelPKGInfo(entry.path) else { continue }
            guard entry.size <= maximumMetadataSize else {
                throw tooLarge(entry.path, filename)
            }
            return try reader.readData(of: entry)
        }
        throw PackagingError(.missingMetadata, "'\(filename.filename)' has no PKG-INFO file in its top-level directory")
    }
}
