/// A small, strict zip reader for archives that may be hostile: wheels, eggs and zip sdists.
///
/// Only the central directory is read when the archive is opened, and only the entries asked for
/// afterwards; nothing is loaded whole. Every offset and size read from the file is checked
/// against the file's real length with arithmetic that cannot overflow, the end-of-central-
/// directory search is bounded to the last 64 KiB + 22 bytes as the format allows, the number
/// of entries is bounded, and an entry is inflated only up to its declared size, which must match
/// what it inflates to along with its CRC-32.
///
/// ```swift
/// let archive = try ZipArchive(path: path)
/// if let entry = archive.entries.first(where: { $0.path == "EGG-INFO/PKG-INFO" }) {
///     let bytes = try archive.contents(of: entry, maximumSize: 16 << 20)
/// }
/// ```
package struct ZipArchive {
    /// The most entries an archive may have (wheels of the largest projects have tens of thousands).
    package static let maximumEntryCount = 200_000
    /// The largest central directory read (64 MiB: 200,000 entries with 280-byte paths).
    package static let maximumCentralDirectorySize: UInt64 = 64 << 20

    static let localHeaderSize = 30
    static let endRecordSize = 22
    static let maximumCommentSize = 0xFFFF
    static let zip64LocatorSize = 20
    static let zip64EndRecordSize = 56

    /// The entries in central-directory order.
    package let entries: [ZipEntry]
    let file: ArchiveFile
    /// Where the central directory starts; every local header and its data lie before it.
    let centralDirectoryOffset: UInt64

    /// Opens the archive at `path` and reads its central directory.
    /// - Throws: ``ArchiveFormatError`` when the file is not a zip archive this reader accepts.
    package init(path: String) throws {
        file = try ArchiveFile(path: path)
        let directory = try Self.centralDirectory(of: file)
        guard directory.size <= Self.maximumCentralDirectorySize else {
            throw ArchiveFormatError(reason: "its central directory is larger than \(Self.maximumCentralDirectorySize >> 20) MiB")
        }
        // Each record is at least 46 bytes: a count the directory cannot hold is a lie.
        guard directory.count * UInt64(ZipEntry.fixedSize) <= directory.size else {
            throw ArchiveFormatError(reason: "its central directory is too small for its \(directory.count) entries")
        }
        var stream = ArchiveFileRange(file, offset: directory.offset, count: directory.size)
        var entries: [ZipEntry] = []
        entries.reserveCapacity(Int(directory.count))
        for _ in 0..<directory.count {
            entries.append(try ZipEntry.read(from: &stream, localDataEnd: directory.offset))
        }
        self.entries = entries
        centralDirectoryOffset = directory.offset
    }

    /// Where the central directory is, from the end-of-central-directory record (and its ZIP64
    /// counterpart), checked to lie inside the file before those records.
    private static func centralDirectory(of file: ArchiveFile) throws -> (offset: UInt64, size: UInt64, count: UInt64) {
        guard file.length >= UInt64(endRecordSize) else {
            throw ArchiveFormatError(reason: "it is too short to be a zip file")
        }
        // The record is 22 bytes followed by a comment of at most 65,535: search no further back.
        let tailLength = min(file.length, UInt64(endRecordSize + maximumCommentSize))
        let tailStart = file.length - tailLength
        let tail = try file.read(at: tailStart, count: Int(tailLength), "the end of the archive")
        guard let position = endRecordPosition(in: tail) else {
            throw ArchiveFormatError(reason: "it has no end-of-central-directory record")
        }
        let endRecordOffset = tailStart + UInt64(position)
        var record = LittleEndianReader(tail, at: position + 4)
        let disk = try record.uint16()
        let directoryDisk = try record.uint16()
        try record.skip(2)  // entries on this disk
        let count = try record.uint16()
        let size = try record.uint32()
        let offset = try record.uint32()

        if let zip64 = try zip64Directory(of: file, endRecordOffset: endRecordOffset) {
            return zip64
        }
        guard disk == 0, directoryDisk == 0 else {
            throw ArchiveFormatError(reason: "archives spanning several disks are not supported")
        }
        return try checked(offset: UInt64(offset), size: UInt64(size), count: UInt64(count), before: endRecordOffset)
    }

    /// The last end-of-central-directory signature in `tail` whose record and comment fit.
    private static func endRecordPosition(in tail: [UInt8]) -> Int? {
        var position = tail.count - endRecordSize
        while position >= 0 {
            if tail[position] == 0x50, tail[position + 1] == 0x4B, tail[position + 2] == 0x05, tail[position + 3] == 0x06 {
                let commentLength = Int(tail[position + 20]) | Int(tail[position + 21]) << 8
                if commentLength <= tail.count - position - endRecordSize {
                    return position
                }
            }
            position -= 1
        }
        return nil
    }

    /// The ZIP64 end-of-central-directory record, when a locator precedes the end record.
    private static func zip64Directory(of file: ArchiveFile, endRecordOffset: UInt64) throws -> (offset: UInt64, size: UInt64, count: UInt64)? {
        guard endRecordOffset >= UInt64(zip64LocatorSize) else { return nil }
        let locatorOffset = endRecordOffset - UInt64(zip64LocatorSize)
        var locator = LittleEndianReader(try file.read(at: locatorOffset, count: zip64LocatorSize, "the ZIP64 locator"))
        guard try locator.uint32() == 0x0706_4B50 else { return nil }
        let recordDisk = try locator.uint32()
        let recordOffset = try locator.uint64()
        let disks = try locator.uint32()
        guard recordDisk == 0, disks <= 1 else {
            throw ArchiveFormatError(reason: "archives spanning several disks are not supported")
        }
        guard recordOffset <= locatorOffset, locatorOffset - recordOffset >= UInt64(zip64EndRecordSize) else {
            throw ArchiveFormatError(reason: "the ZIP64 end-of-central-directory record lies outside the archive")
        }
        var record = LittleEndianReader(try file.read(at: recordOffset, count: zip64EndRecordSize, "the ZIP64 end record"))
        guard try record.uint32() == 0x0606_4B50 else {
            throw ArchiveFormatError(reason: "the ZIP64 end-of-central-directory record is missing")
        }
        try record.skip(12)  // record size, versions
        let disk = try record.uint32()
        let directoryDisk = try record.uint32()
        try record.skip(8)  // entries on this disk
        let count = try record.uint64()
        let size = try record.uint64()
        let offset = try record.uint64()
        guard disk == 0, directoryDisk == 0 else {
            throw ArchiveFormatError(reason: "archives spanning several disks are not supported")
        }
        return try checked(offset: offset, size: size, count: count, before: recordOffset)
    }

    private static func checked(offset: UInt64, size: UInt64, count: UInt64, before end: UInt64) throws -> (offset: UInt64, size: UInt64, count: UInt64) {
        guard offset <= end, size <= end - offset else {
            throw ArchiveFormatError(reason: "the central directory lies outside the archive")
        }
        guard count <= UInt64(maximumEntryCount) else {
            throw ArchiveFormatError(reason: "it has more than \(maximumEntryCount) entries")
        }
        return (offset, size, count)
    }
}
