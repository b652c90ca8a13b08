import CompressNIO
import Foundation
import NIOCore
import PythonPackaging
import WheelhouseCore

/// What one execution ended in. Rejections are expected; a violation is an error of a type the
/// parser's contract does not allow (its callers would not map it to a client error).
enum Outcome {
    case accepted(String)
    case rejected(String)
    case violation(String)
}

/// One parser under test: the corpus folders its seeds come from, and how to run an input.
struct FuzzTarget {
    let name: String
    let seedFolders: [String]
    let run: (_ input: [UInt8], _ random: inout SplitMix64) -> Outcome

    static func all(workDirectory: URL) -> [FuzzTarget] {
        [
            wheel(workDirectory), sdist(workDirectory), zip(workDirectory), metadata, multipart,
        ]
    }

    /// `DistributionArchive.coreMetadata` on a wheel: the zip reader, the `.dist-info` search.
    static func wheel(_ directory: URL) -> FuzzTarget {
        let path = directory.appendingPathComponent("foo-1.0-py3-none-any.whl").path
        let filename = try! DistributionFilename("foo-1.0-py3-none-any.whl")
        return FuzzTarget(name: "wheel", seedFolders: ["wheel"]) { input, _ in
            archiveOutcome(input, path: path, filename: filename)
        }
    }

    /// `DistributionArchive.coreMetadata` on an sdist: tar (plain, or gzipped here half the time
    /// so that tar mutations reach the tar reader through gunzip), tar.gz and zip.
    static func sdist(_ directory: URL) -> FuzzTarget {
        let names = ["foo-1.0.tar", "foo-1.0.tar.gz", "foo-1.0.zip"]
        let filenames = names.map { try! DistributionFilename($0) }
        let paths = names.map { directory.appendingPathComponent($0).path }
        return FuzzTarget(name: "sdist", seedFolders: ["sdist"]) { input, random in
            var bytes = input
            var kind = 0
            if input.starts(with: [0x1F, 0x8B]) {
                kind = 1
            } else if input.starts(with: [0x50, 0x4B]) {
                kind = 2
            } else if !input.isEmpty, Bool.random(using: &random) {
                var buffer = ByteBuffer(bytes: input)
                if let compressed = try? buffer.compress(with: ZlibAlgorithm.gzip) {
                    bytes = Array(compressed.readableBytesView)
                    kind = 1
                }
            }
            return archiveOutcome(bytes, path: paths[kind], filename: filenames[kind])
        }
    }

    /// The zip reader's own API: open, then read every entry (up to 64) with a 1 MiB bound.
    static func zip(_ directory: URL) -> FuzzTarget {
        let path = directory.appendingPathComponent("raw.zip").path
        return FuzzTarget(name: "zip", seedFolders: ["wheel", "sdist"]) { input, _ in
            guard write(input, to: path) else {
                return .violation("cannot write \(path)")
            }
            do {
                let archive = try ZipArchive(path: path)
                for entry in archive.entries.prefix(64) {
                    do {
                        _ = try archive.contents(of: entry, maximumSize: 1 << 20)
                    } catch let error as ArchiveFormatError {
                        return .rejected("entry: \(error.reason)")
                    }
                }
                return .accepted("\(archive.entries.count) entries")
            } catch let error as ArchiveFormatError {
                return .rejected(error.reason)
            } catch {
                return .violation("\(type(of: error)): \(error)")
            }
        }
    }

    /// `CoreMetadata(parsing:)`.
    static var metadata: FuzzTarget {
        FuzzTarget(name: "metadata", seedFolders: ["metadata"]) { input, _ in
            do {
                let metadata = try CoreMetadata(parsing: input)
                return .accepted("parsed \(metadata.name == nil ? "without" : "with") a name")
            } catch let error as PackagingError {
                return .rejected("\(error.code): \(error.message)")
            } catch {
                return .violation("\(type(of: error)): \(error)")
            }
        }
    }

    /// WheelhouseCore's streaming `MultipartParser`, fed the body in random chunk splits.
    static var multipart: FuzzTarget {
        FuzzTarget(name: "multipart", seedFolders: ["multipart"]) { input, random in
            var parser = MultipartParser(boundary: "wheelhouse-fuzz-boundary")
            var offset = 0
            var parts = 0
            var bodyBytes = 0
            do throws(MultipartError) {
                while offset < input.count {
                    let largest = [1, 7, 64, 4096].randomElement(using: &random)!
                    let length = Int.random(in: 1...min(input.count - offset, largest), using: &random)
                    for event in try parser.feed(ByteBuffer(bytes: input[offset..<(offset + length)])) {
                        switch event {
                        case .partStart: parts += 1
                        case .body(let bytes): bodyBytes += bytes.readableBytes
                        case .partEnd, .end: break
                        }
                    }
                    offset += length
                }
                try parser.finish()
            } catch {
                return .rejected("\(error.code): \(error.message)")
            }
            // A body event is a slice of what was fed: it can never add up to more than the input.
            guard bodyBytes <= input.count else {
                return .violation("\(bodyBytes) body bytes out of a \(input.count)-byte input")
            }
            return .accepted("\(min(parts, 20)) parts")
        }
    }

    private static func archiveOutcome(_ input: [UInt8], path: String, filename: DistributionFilename) -> Outcome {
        guard write(input, to: path) else {
            return .violation("cannot write \(path)")
        }
        do {
            let metadata = try DistributionArchive.coreMetadata(atPath: path, filename: filename)
            guard metadata.count <= DistributionArchive.maximumMetadataSize else {
                return .violation("\(metadata.count) bytes of metadata returned")
            }
            return .accepted("metadata read")
        } catch let error as PackagingError {
            return .rejected("\(error.code): \(error.message)")
        } catch {
            return .violation("\(type(of: error)): \(error)")
        }
    }

    /// Replaces the file's content in place: no temporary file and no fsync (FileManager's
    /// atomic write), no truncation to zero (ext4 then flushes on close): they made 95% of an
    /// execution.
    private static func write(_ bytes: [UInt8], to path: String) -> Bool {
        let descriptor = open(path, O_WRONLY | O_CREAT, 0o644)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        let written = bytes.withUnsafeBytes { buffer in
            buffer.isEmpty || pwrite(descriptor, buffer.baseAddress, buffer.count, 0) == buffer.count
        }
        return written && ftruncate(descriptor, off_t(bytes.count)) == 0
    }
}
