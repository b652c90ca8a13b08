import Foundation
import NIOCore

/// A file read at explicit offsets. Every read is checked against the length measured when the
/// file was opened, so an offset taken from the archive can never reach past its end.
final class ArchiveFile {
    /// The file's length in bytes.
    let length: UInt64
    private let handle: FileHandle

    init(path: String) throws {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw ArchiveFormatError(reason: "the file cannot be opened")
        }
        do {
            length = try handle.seekToEnd()
        } catch {
            try? handle.close()
            throw ArchiveFormatError(reason: "the file cannot be read")
        }
        self.handle = handle
    }

    deinit {
        try? handle.close()
    }

    /// Whether `count` bytes from `offset` lie inside the file (overflow-safe).
    func contains(offset: UInt64, count: UInt64) -> Bool {
        offset <= length && count <= length - offset
    }

    /// Reads exactly `count` bytes at `offset`.
    /// - Throws: ``ArchiveFormatError`` naming `what` if the range is not inside the file.
    func read(at offset: UInt64, count: Int, _ what: @autoclosure () -> String) throws -> [UInt8] {
        guard count >= 0, contains(offset: offset, count: UInt64(count)) else {
            throw ArchiveFormatError(reason: "\(what()) lies outside the file")
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(count)
        do {
            try handle.seek(toOffset: offset)
            while bytes.count < count {
                guard let data = try handle.read(upToCount: count - bytes.count), !data.isEmpty else { break }
                bytes += data
            }
        } catch {
            throw ArchiveFormatError(reason: "the file cannot be read")
        }
        guard bytes.count == count else {
            throw ArchiveFormatError(reason: "the file changed while it was read")
        }
        return bytes
    }
}

/// A range of an ``ArchiveFile`` read front to back in 64 KiB chunks.
struct ArchiveFileRange: ArchiveByteStream {
    var buffered = ByteBuffer()
    private let file: ArchiveFile
    private var offset: UInt64
    private let end: UInt64

    /// - Precondition: the range was checked with ``ArchiveFile/contains(offset:count:)``.
    init(_ file: ArchiveFile, offset: UInt64, count: UInt64) {
        self.file = file
        self.offset = offset
        self.end = offset + count
    }

    mutating func refill() throws -> Bool {
        guard offset < end else { return false }
        let count = Int(min(end - offset, UInt64(FileChunks.chunkSize)))
        buffered = ByteBuffer(bytes: try file.read(at: offset, count: count, "a zip record"))
        offset += UInt64(count)
        return true
    }
}
