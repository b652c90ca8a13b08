import AsyncHTTPClient
import Crypto
import NIOCore
import NIOHTTP1
import _NIOFileSystem
import WheelhouseCore

extension S3BlobStore {
    /// A large file as a multipart upload: parts read one at a time, so memory stays near one part
    /// whatever the file's size; each part is signed with its own sha256, and the whole file's sha256
    /// is checked against the blob's address before the upload is completed. Any failure aborts the
    /// upload, so the engine drops the parts already sent.
    func putMultipart(_ key: BlobKey, path: String, size: Int64) async throws {
        let object = objectKey(key)
        // S3 allows at most 10 000 parts: grow the parts for very large files.
        let partSize = max(configuration.partSize, (size + 9_999) / 10_000)
        let uploadID = try await createMultipartUpload(object)
        do {
            let etags = try await fs.withFileHandle(forReadingAt: FilePath(path)) { handle in
                var whole = SHA256()
                var etags: [String] = []
                var offset: Int64 = 0
                while offset < size {
                    let range = offset..<min(offset + partSize, size)
                    let (part, partHash) = try await readPart(handle, range, into: &whole)
                    etags.append(try await uploadPart(object, uploadID: uploadID, number: etags.count + 1, part, sha256: partHash))
                    offset = range.upperBound
                }
                let actual = SigV4.hex(whole.finalize())
                guard actual == key.sha256 else {
                    throw WheelhouseError(.internalError, "file \(path) has sha256 \(actual), not the blob's \(key.sha256)")
                }
                return etags
            }
            try await completeMultipartUpload(object, uploadID: uploadID, etags: etags, key: key, size: size)
        } catch {
            // Awaited in a new task so that it still runs when the failure is this task's cancellation.
            await Task { await abortMultipartUpload(object, uploadID: uploadID) }.value
            throw error
        }
    }

    /// Reads `range` of the file into one buffer, hashing it for the part's signature and for the whole file.
    /// One allocation of the part's size, filled by one `pread` (more only if the kernel reads short).
    func readPart(_ handle: ReadFileHandle, _ range: Range<Int64>, into whole: inout SHA256) async throws -> (ByteBuffer, String) {
        var part = try await handle.readChunk(fromAbsoluteOffset: range.lowerBound, length: .bytes(Int64(range.count)))
        while part.readableBytes < range.count {
            var more = try await handle.readChunk(
                fromAbsoluteOffset: range.lowerBound + Int64(part.readableBytes), length: .bytes(Int64(range.count - part.readableBytes)))
            guard more.readableBytes > 0 else {
                throw WheelhouseError(.internalError, "staging file shrank while uploading (read \(part.readableBytes) of \(range.count) bytes)")
            }
            part.writeBuffer(&more)
        }
        var hash = SHA256()
        part.withUnsafeReadableBytes { bytes in
            hash.update(bufferPointer: bytes)
            whole.update(bufferPointer: bytes)
        }
        return (part, SigV4.hex(hash.finalize()))
    }

    func createMultipartUpload(_ object: String) async throws -> String {
        let operation = Operation(method: .POST, object: object, query: [("uploads", "")])
        return try await withRetries {
            let response = try await execute(operation, timeout: .seconds(30))
            guard response.status.code == 200 else {
                try await expect(response, [200], operation)
                return ""
            }
            let body = try await collect(response, operation)
            guard let uploadID = S3XML.value(of: "UploadId", in: body), !uploadID.isEmpty else {
                throw WheelhouseError(.internalError, "S3 CreateMultipartUpload for \(what(operation)) returned no UploadId")
            }
            return uploadID
        }
    }

    /// Sends one part; returns its ETag, which CompleteMultipartUpload must quote back.
    func uploadPart(_ object: String, uploadID: String, number: Int, _ part: ByteBuffer, sha256: String) async throws -> String {
        let operation = Operation(
            method: .PUT, object: object, query: [("partNumber", String(number)), ("uploadId", uploadID)], payloadHash: sha256)
        return try await withRetries {
            let response = try await execute(operation, body: .bytes(part), timeout: Self.uploadTimeout(bytes: Int64(part.readableBytes)))
            try await expect(response, [200], operation)
            guard let etag = response.headers.first(name: "ETag") else {
                throw WheelhouseError(.internalError, "S3 UploadPart \(number) for \(what(operation)) returned no ETag")
            }
            return etag
        }
    }

    func completeMultipartUpload(_ object: String, uploadID: String, etags: [String], key: BlobKey, size: Int64) async throws {
        let parts = etags.enumerated().map { "<Part><PartNumber>\($0.offset + 1)</PartNumber><ETag>\(S3XML.escape($0.element))</ETag></Part>" }
        let xml = Array("<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">\(parts.joined())</CompleteMultipartUpload>".utf8)
        let operation = Operation(
            method: .POST, object: object, query: [("uploadId", uploadID)], payloadHash: SigV4.hex(SHA256.hash(data: xml)))
        do {
            try await withRetries {
                // Assembling a large object can take a while before S3 answers.
                let response = try await execute(operation, body: .bytes(xml), timeout: .minutes(10))
                guard response.status.code == 200 else { return try await expect(response, [200], operation) }
                // S3 may answer 200 and still report an error in the body, after its keep-alive whitespace.
                let body = try await collect(response, operation)
                if body.contains("<Error>") { throw failure(status: 500, body: body, operation) }
            }
        } catch {
            // A retry after a completion whose answer was lost finds the upload gone: the object tells.
            if let stored = try? await self.size(of: key), stored == size { return }
            throw error
        }
    }

    /// Best effort: a failed abort leaves parts that only a bucket lifecycle rule
    /// (`AbortIncompleteMultipartUpload`) cleans up, which production buckets should have anyway.
    func abortMultipartUpload(_ object: String, uploadID: String) async {
        let operation = Operation(method: .DELETE, object: object, query: [("uploadId", uploadID)])
        if let response = try? await execute(operation, timeout: .seconds(30)) {
            try? await drain(response, operation)
        }
    }

    func collect(_ response: HTTPClientResponse, _ operation: Operation) async throws -> String {
        do {
            return String(buffer: try await response.body.collect(upTo: 16 << 20))
        } catch {
            throw connectionFailure(error, operation)
        }
    }
}
