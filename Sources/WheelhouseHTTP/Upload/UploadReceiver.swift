import Foundation
import Hummingbird
import NIOCore
import WheelhouseCore
import _NIOFileSystem

/// What came in: the form fields, and the `content` part written to the staging file.
struct ReceivedUpload {
    var form = UploadForm()
    var filename: String?
    var digests = DistributionDigests(sha256: "", blake2b256: "", md5: "")
    var size: Int64 = 0
}

extension UploadRoute {
    /// Streams the multipart body: fields into the form, `content` into `path` while hashing.
    /// Memory is bounded by the form limits plus one write buffer, whatever the file size.
    func receive(_ body: RequestBody, boundary: String, to path: String) async throws -> ReceivedUpload {
        var parser = MultipartParser(boundary: boundary)
        var received = ReceivedUpload()
        var accumulator = DigestAccumulator()
        var fieldName: String? = nil
        var fieldBytes: [UInt8] = []
        var inContent = false
        var sawContent = false
        var total: Int64 = 0
        let limit = services.limits.maxUploadBytes

        try await stagingWrites {
            try await FileSystem.shared.withFileHandle(
                forWritingAt: FilePath(path), options: .newFile(replaceExisting: false)
            ) { handle in
                var writer = handle.bufferedWriter(capacity: .mebibytes(1))
                do {
                    for try await chunk in body {
                        total += Int64(chunk.readableBytes)
                        if total > limit {
                            throw WheelhouseError(.payloadTooLarge, "upload exceeds the limit of \(limit) bytes")
                        }
                        for event in try parser.feed(chunk) {
                            switch event {
                            case .partStart(let headers):
                                if headers.name == "content" {
                                    guard !sawContent else { throw WheelhouseError.badRequest("more than one 'content' part") }
                                    guard let filename = headers.filename else {
                                        throw WheelhouseError.badRequest("the 'content' part has no filename")
                                    }
                                    received.filename = filename
                                    inContent = true
                                    sawContent = true
                                } else {
                                    fieldName = headers.name
                                    fieldBytes.removeAll(keepingCapacity: fieldBytes.capacity <= 64 << 10)
                                }
                            case .body(let bytes):
                                if inContent {
                                    accumulator.update(bytes)
                                    try await stagingWrites { _ = try await writer.write(contentsOf: bytes) }
                                } else if let name = fieldName {
                                    // Checked before the bytes are kept: the form never holds more than its limits.
                                    try received.form.admit(field: name, bytes: fieldBytes.count + bytes.readableBytes)
                                    fieldBytes.append(contentsOf: bytes.readableBytesView)
                                }
                            case .partEnd:
                                if inContent {
                                    inContent = false
                                } else if let name = fieldName {
                                    try received.form.add(name, String(decoding: fieldBytes, as: UTF8.self))
                                    fieldName = nil
                                    // Keep a small buffer for the next field, not the largest one seen.
                                    if fieldBytes.capacity > 64 << 10 { fieldBytes = [] } else { fieldBytes.removeAll(keepingCapacity: true) }
                                }
                            case .end:
                                break
                            }
                        }
                    }
                    try parser.finish()
                } catch let error as MultipartError {
                    throw WheelhouseError.badRequest("malformed multipart body: \(error.message)")
                } catch let error as WheelhouseError {
                    throw error
                } catch {
                    // The connection ended mid-body (the staging file's own errors arrive as
                    // WheelhouseError, above). Not a 5xx: twine retries those.
                    throw WheelhouseError.badRequest("truncated upload body: the connection ended before the multipart body was complete")
                }
                try await stagingWrites { try await writer.flush() }
            }
        }
        received.digests = accumulator.finalize()
        received.size = accumulator.byteCount
        return received
    }

    /// Runs writes to the staging file: their failures are the server's, never "truncated" (the
    /// client's): 507 when the disk is full, otherwise a logged 500.
    func stagingWrites<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as WheelhouseError {
            throw error
        } catch let error as FileSystemError {
            if let code = error.errnoCode, WheelhouseError.isOutOfSpace(errno: code) {
                throw WheelhouseError.insufficientStorage("writing the upload")
            }
            services.logger.error("cannot write an upload's staging file", metadata: ["wh.error": "\(error)"])
            throw WheelhouseError(.internalError, "cannot write the upload to the server's staging directory")
        }
    }
}

extension FileSystemError {
    /// The errno behind the error, if a system call failed.
    var errnoCode: Int32? {
        if let call = cause as? SystemCallError { return call.errno.rawValue }
        return (cause as? FileSystemError)?.errnoCode
    }
}
