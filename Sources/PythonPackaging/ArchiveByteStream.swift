import CompressNIO
import Foundation
import NIOCore

/// Why an archive could not be read; turned into a ``PackagingError`` naming the file by the caller.
package struct ArchiveFormatError: Error, CustomStringConvertible {
    package let reason: String

    package var description: String { reason }
}

/// A forward-only byte stream over an archive on disk, read in fixed-size chunks.
protocol ArchiveByteStream {
    /// Bytes read ahead and not yet consumed.
    var buffered: ByteBuffer { get set }
    /// Makes `buffered` non-empty; returns `false` at the end of the data.
    mutating func refill() throws -> Bool
}

/// Counts the bytes a stream has produced and stops it past a bound, so that a small file that
/// expands to gigabytes (a gzip bomb) costs no more than the bound to reject.
struct OutputBound {
    let limit: Int
    private(set) var produced = 0

    init(limit: Int) {
        self.limit = limit
    }

    mutating func add(_ count: Int) throws {
        produced += count
        guard produced <= limit else {
            throw ArchiveFormatError(reason: "no PKG-INFO in the first \(limit >> 20) MiB of tar data")
        }
    }
}

extension ArchiveByteStream {
    /// Reads `count` bytes, or fewer at the end of the data.
    mutating func read(upTo count: Int) throws -> [UInt8] {
        var result: [UInt8] = []
        result.reserveCapacity(min(count, 1 << 20))
        while result.count < count {
            if buffered.readableBytes == 0 {
                guard try refill() else { break }
            }
            let length = min(count - result.count, buffered.readableBytes)
            result += buffered.readBytes(length: length) ?? []
        }
        return result
    }

    /// Skips `count` bytes without keeping them; returns how many were skipped (fewer only at the end).
    mutating func skip(_ count: Int) throws -> Int {
        var skipped = 0
        while skipped < count {
            if buffered.readableBytes == 0 {
                guard try refill() else { break }
            }
            let length = min(count - skipped, buffered.readableBytes)
            buffered.moveReaderIndex(forwardBy: length)
            skipped += length
        }
        return skipped
    }
}

/// Reads a file in 64 KiB chunks.
struct FileChunks {
    static let chunkSize = 64 * 1024
    private let handle: FileHandle

    init(path: String) throws {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw ArchiveFormatError(reason: "the file cannot be opened")
        }
        self.handle = handle
    }

    /// The next chunk, or `nil` at the end of the file.
    func next() throws -> ByteBuffer? {
        let data: Data?
        do {
            data = try handle.read(upToCount: Self.chunkSize)
        } catch {
            throw ArchiveFormatError(reason: "the file cannot be read")
        }
        guard let data, !data.isEmpty else { return nil }
        return ByteBuffer(bytes: data)
    }

    func close() {
        try? handle.close()
    }
}

/// An uncompressed file, read up to a bound.
struct PlainFileStream: ArchiveByteStream {
    var buffered = ByteBuffer()
    private let chunks: FileChunks
    private var bound: OutputBound

    init(path: String, limit: Int) throws {
        chunks = try FileChunks(path: path)
        bound = OutputBound(limit: limit)
    }

    mutating func refill() throws -> Bool {
        guard let chunk = try chunks.next() else { return false }
        try bound.add(chunk.readableBytes)
        buffered = chunk
        return true
    }

    func close() {
        chunks.close()
    }
}

/// A gzip-compressed file, inflated chunk by chunk with CompressNIO (concatenated gzip members
/// included), up to a bound on the inflated bytes.
struct GzipFileStream: ArchiveByteStream {
    var buffered = ByteBuffer()
    private let chunks: FileChunks
    private let decompressor: ZlibDecompressor
    private var input = ByteBuffer()
    private var inputFinished = false
    private var streamFinished = false
    private var bound: OutputBound

    init(path: String, limit: Int) throws {
        chunks = try FileChunks(path: path)
        decompressor = try ZlibDecompressor(algorithm: .gzip)
        bound = OutputBound(limit: limit)
    }

    mutating func refill() throws -> Bool {
        while buffered.readableBytes == 0 {
            if streamFinished {
                return false
            }
            if input.readableBytes == 0 {
                guard !inputFinished, let chunk = try chunks.next() else {
                    inputFinished = true
                    return false
                }
                input = chunk
            }
            buffered.clear(minimumCapacity: FileChunks.chunkSize)
            let inputBefore = input.readableBytes
            var returnedNormally = false
            do {
                try decompressor.inflate(from: &input, to: &buffered)
                returnedNormally = true
            } catch let error as CompressNIOError where error == .bufferOverflow || error == .inputBufferOverflow {
                // The output chunk is full, or zlib wants more input: both are progress.
            } catch {
                throw ArchiveFormatError(reason: "the gzip data is corrupt")
            }
            try bound.add(buffered.readableBytes)
            let progressed = input.readableBytes != inputBefore || buffered.readableBytes > 0
            // A normal return that left input behind, or made no progress, is the end of a gzip member.
            if returnedNormally && (!progressed || input.readableBytes > 0) {
                if input.readableBytes >= 2, input.getBytes(at: input.readerIndex, length: 2) == [0x1F, 0x8B] {
                    try decompressor.reset()
                } else {
                    streamFinished = true
                }
            } else if !progressed {
                throw ArchiveFormatError(reason: "the gzip data is corrupt")
            }
        }
        return true
    }

    func close() {
        chunks.close()
    }
}
