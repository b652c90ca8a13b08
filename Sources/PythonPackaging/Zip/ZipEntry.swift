/// One member of a ``ZipArchive``, as its central-directory record describes it. Offsets and
/// sizes have been checked to lie before the central directory; the local header and the data
/// are checked again when the entry is read.
package struct ZipEntry: Sendable {
    package enum Kind: Sendable {
        case file
        case directory
        case symbolicLink
    }

    /// The member's path as stored (UTF-8, or code page 437 read as Latin-1 for old archives).
    package let path: String
    package let kind: Kind
    /// `0` (stored) and `8` (deflated) can be read.
    package let method: UInt16
    package let flags: UInt16
    package let crc32: UInt32
    package let compressedSize: UInt64
    package let uncompressedSize: UInt64
    package let localHeaderOffset: UInt64

    var isEncrypted: Bool { flags & 1 != 0 }
}

extension ZipEntry {
    static let signature: UInt32 = 0x0201_4B50
    static let fixedSize = 46
    /// A central-directory field saying "the real value is in the ZIP64 extra field".
    static let zip64Marker32: UInt32 = 0xFFFF_FFFF

    /// Parses the central-directory record at the front of `stream`.
    /// - Parameter localDataEnd: Where the central directory starts: every local header and its
    ///   data must lie before it.
    static func read(from stream: inout some ArchiveByteStream, localDataEnd: UInt64) throws -> ZipEntry {
        let fixed = try stream.read(upTo: fixedSize)
        var record = LittleEndianReader(fixed)
        guard fixed.count == fixedSize, try record.uint32() == signature else {
            throw ArchiveFormatError(reason: "the central directory is corrupt")
        }
        let versionMadeBy = try record.uint16()
        try record.skip(2)  // version needed
        let flags = try record.uint16()
        let method = try record.uint16()
        try record.skip(4)  // modification time and date
        let crc32 = try record.uint32()
        let compressed32 = try record.uint32()
        let uncompressed32 = try record.uint32()
        let nameLength = Int(try record.uint16())
        let extraLength = Int(try record.uint16())
        let commentLength = Int(try record.uint16())
        try record.skip(4)  // disk number start, internal attributes
        let externalAttributes = try record.uint32()
        let offset32 = try record.uint32()

        let name = try stream.read(upTo: nameLength)
        let extra = try stream.read(upTo: extraLength)
        guard name.count == nameLength, extra.count == extraLength, try stream.skip(commentLength) == commentLength else {
            throw ArchiveFormatError(reason: "the central directory is truncated")
        }

        // The ZIP64 extra field holds, in this order, only the values whose 32-bit field is the marker.
        var zip64 = try zip64Field(in: extra)
        func resolve(_ value: UInt32) throws -> UInt64 {
            guard value == zip64Marker32 else { return UInt64(value) }
            guard var field = zip64, field.remaining >= 8 else {
                throw ArchiveFormatError(reason: "a ZIP64 entry lacks its extra field")
            }
            defer { zip64 = field }
            return try field.uint64()
        }
        let uncompressedSize = try resolve(uncompressed32)
        let compressedSize = try resolve(compressed32)
        let localHeaderOffset = try resolve(offset32)

        let path = decodeName(name)
        // The local header (30 bytes at least) and the data must end before the central directory.
        guard localHeaderOffset <= localDataEnd,
              localDataEnd - localHeaderOffset >= UInt64(ZipArchive.localHeaderSize),
              compressedSize <= localDataEnd - localHeaderOffset - UInt64(ZipArchive.localHeaderSize)
        else {
            throw ArchiveFormatError(reason: "the entry '\(path)' points outside the archive")
        }
        return ZipEntry(
            path: path,
            kind: kind(path: path, versionMadeBy: versionMadeBy, externalAttributes: externalAttributes),
            method: method,
            flags: flags,
            crc32: crc32,
            compressedSize: compressedSize,
            uncompressedSize: uncompressedSize,
            localHeaderOffset: localHeaderOffset
        )
    }

    /// The ZIP64 extended-information field (header id 1) of an extra-field block, if any.
    private static func zip64Field(in extra: [UInt8]) throws -> LittleEndianReader? {
        var reader = LittleEndianReader(extra)
        while reader.remaining >= 4 {
            let id = try reader.uint16()
            let size = Int(try reader.uint16())
            let data = try reader.bytes(size)
            if id == 1 {
                return LittleEndianReader(Array(data))
            }
        }
        return nil
    }

    static func decodeName(_ bytes: [UInt8]) -> String {
        PythonText.utf8OrLatin1(bytes)
    }

    private static func kind(path: String, versionMadeBy: UInt16, externalAttributes: UInt32) -> Kind {
        if path.hasSuffix("/") {
            return .directory
        }
        // Made on Unix: the high 16 bits are the file mode.
        if versionMadeBy >> 8 == 3 {
            switch (externalAttributes >> 16) & 0o170000 {
            case 0o120000: return .symbolicLink
            case 0o040000: return .directory
            default: break
            }
        }
        return .file
    }
}
