import CompressNIO
import NIOCore

extension ZipArchive {
    /// The uncompressed bytes of `entry`, checked against its declared size and CRC-32.
    ///
    /// - Parameters:
    ///   - entry: One of ``entries``.
    ///   - maximumSize: The most bytes accepted; an entry declaring more is refused unread, and
    ///     inflation stops as soon as it produces more than the entry declares.
    /// - Throws: ``ArchiveFormatError`` when the entry is larger than `maximumSize`, encrypted,
    ///   compressed with a method other than stored or deflate, or inconsistent.
    package func contents(of entry: ZipEntry, maximumSize: Int) throws -> [UInt8] {
        guard entry.uncompressedSize <= UInt64(max(maximumSize, 0)) else {
            throw ArchiveFormatError(reason: "'\(entry.path)' is larger than \(maximumSize) bytes")
        }
        guard !entry.isEncrypted else {
            throw ArchiveFormatError(reason: "'\(entry.path)' is encrypted")
        }
        let size = Int(entry.uncompressedSize)  // at most maximumSize
        let dataOffset = try checkLocalHeader(of: entry)
        let bytes: [UInt8]
        switch entry.method {
        case 0:
            guard entry.compressedSize == entry.uncompressedSize else {
                throw ArchiveFormatError(reason: "'\(entry.path)' is stored with two different sizes")
            }
            bytes = try file.read(at: dataOffset, count: size, "the data of '\(entry.path)'")
        case 8:
            bytes = try inflate(entry, at: dataOffset, size: size)
        default:
            throw ArchiveFormatError(reason: "'\(entry.path)' uses compression method \(entry.method); only stored and deflate are supported")
        }
        guard bytes.count == size else {
            throw ArchiveFormatError(reason: "'\(entry.path)' inflates to fewer bytes than it declares")
        }
        guard CRC32.checksum(bytes) == entry.crc32 else {
            throw ArchiveFormatError(reason: "'\(entry.path)' fails its CRC-32 check")
        }
        return bytes
    }

    /// Checks the entry's local header against its central record; returns where its data starts.
    private func checkLocalHeader(of entry: ZipEntry) throws -> UInt64 {
        // ZipEntry.read checked that the 30-byte header and the data fit before the central directory.
        var header = LittleEndianReader(try file.read(at: entry.localHeaderOffset, count: Self.localHeaderSize, "the local header of '\(entry.path)'"))
        guard try header.uint32() == 0x0403_4B50 else {
            throw ArchiveFormatError(reason: "the local header of '\(entry.path)' is missing")
        }
        try header.skip(4)  // version needed, flags
        let method = try header.uint16()
        try header.skip(16)  // time, date, CRC-32 and sizes (the central record's are used)
        let nameLength = try header.uint16()
        let extraLength = try header.uint16()
        let nameOffset = entry.localHeaderOffset + UInt64(Self.localHeaderSize)
        let name = try file.read(at: nameOffset, count: Int(nameLength), "the local header of '\(entry.path)'")
        guard method == entry.method, ZipEntry.decodeName(name) == entry.path else {
            throw ArchiveFormatError(reason: "the local header of '\(entry.path)' does not match the central directory")
        }
        let dataOffset = nameOffset + UInt64(nameLength) + UInt64(extraLength)
        guard dataOffset <= centralDirectoryOffset, entry.compressedSize <= centralDirectoryOffset - dataOffset else {
            throw ArchiveFormatError(reason: "the data of '\(entry.path)' overlaps the central directory")
        }
        return dataOffset
    }

    /// Inflates raw deflate data, stopping once the output exceeds `size`.
    private func inflate(_ entry: ZipEntry, at offset: UInt64, size: Int) throws -> [UInt8] {
        let decompressor: ZlibDecompressor
        do {
            decompressor = try ZlibDecompressor(algorithm: .deflate)
        } catch {
            throw ArchiveFormatError(reason: "the inflater cannot be started")
        }
        let chunkSize = FileChunks.chunkSize
        var output: [UInt8] = []
        output.reserveCapacity(size)
        var input = ByteBuffer()
        var chunk = ByteBuffer()
        var position = offset
        let end = offset + entry.compressedSize  // checked against the central directory offset
        // Whether the last call filled its chunk: zlib may then hold output for input it has
        // already read (the tail of a match), so the input running out is not the end yet.
        var filled = false
        while true {
            if input.readableBytes == 0, position < end {
                let count = Int(min(end - position, UInt64(chunkSize)))
                input = ByteBuffer(bytes: try file.read(at: position, count: count, "the data of '\(entry.path)'"))
                position += UInt64(count)
            } else if input.readableBytes == 0, !filled {
                break
            }
            chunk.clear(minimumCapacity: chunkSize)
            let inputBefore = input.readableBytes
            filled = false
            do {
                try decompressor.inflate(from: &input, to: &chunk)
            } catch let error as CompressNIOError where error == .bufferOverflow {
                filled = true  // the chunk is full: progress
            } catch let error as CompressNIOError where error == .inputBufferOverflow {
                // zlib wants more input: progress
            } catch {
                throw ArchiveFormatError(reason: "the deflate data of '\(entry.path)' is corrupt")
            }
            output += chunk.readableBytesView
            guard output.count <= size else {
                throw ArchiveFormatError(reason: "'\(entry.path)' inflates to more bytes than it declares")
            }
            // No progress with input left: the deflate stream has ended (what follows is ignored).
            if input.readableBytes == inputBefore && chunk.readableBytes == 0 {
                break
            }
        }
        return output
    }
}
