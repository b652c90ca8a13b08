import Foundation
import Hummingbird
import NIOPosix
import WheelhouseCore

/// `POST /api/v1/gc`: the blob garbage collector (server admins), and the node's staging leftovers.
struct GarbageAdmin {
    let call: AdminCall
    init(_ call: AdminCall) { self.call = call }

    /// Staging files older than this are an interrupted upload's or fetch's leftovers.
    static let stagingAge: TimeInterval = 24 * 3600
    /// Blobs younger than this are left alone unless the request asks for less.
    static let defaultGrace: Duration = .seconds(3600)

    func collect() async throws -> Response {
        let principal = try await call.access.requireServerAdmin(call.request, context: call.context)
        let body = try await call.decodeOptional(GarbageRequest.self) ?? GarbageRequest(dryRun: nil, graceSeconds: nil)
        let dryRun = body.dryRun ?? false
        if let grace = body.graceSeconds, grace < 0 {
            throw WheelhouseError.badRequest("graceSeconds must be 0 or more")
        }
        let grace = body.graceSeconds.map { Duration.seconds($0) } ?? Self.defaultGrace
        let collector = BlobCollector(blobs: call.services.blobs, references: call.metadata, grace: grace)
        let report = try await collector.run(dryRun: dryRun)
        let staging = try await Self.sweepStaging(call.services.staging, olderThan: Self.stagingAge, dryRun: dryRun)
        let result = GarbageReport(report: report, stagingFiles: staging.count, stagingBytes: staging.bytes)
        if !dryRun {
            call.services.telemetry.blobsCollected(report.collected, bytes: report.collectedBytes)
            await call.audit(principal, "gc", details: [
                "blobs": String(report.collected), "bytes": String(report.collectedBytes), "stagingFiles": String(staging.count),
            ])
        }
        return try Responses.json(.ok, result)
    }

    /// Removes regular files of `directory` not written to for `age`; returns how many and their bytes.
    static func sweepStaging(_ directory: String, olderThan age: TimeInterval, dryRun: Bool) async throws -> (count: Int, bytes: Int64) {
        try await NIOThreadPool.singleton.runIfActive {
            let cutoff = Date().timeIntervalSince1970 - age
            var count = 0
            var bytes: Int64 = 0
            for name in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [] {
                let path = directory + "/" + name
                var info = stat()
                guard lstat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG, TimeInterval(info.st_mtim.tv_sec) < cutoff else { continue }
                if dryRun || unlink(path) == 0 {
                    count += 1
                    bytes += Int64(info.st_size)
                }
            }
            return (count, bytes)
        }
    }
}

struct GarbageRequest: Decodable {
    let dryRun: Bool?
    let graceSeconds: Int64?
}

struct GarbageReport: Encodable {
    let report: BlobCollector.Report
    let stagingFiles: Int
    let stagingBytes: Int64

    func encode(to encoder: any Encoder) throws {
        try report.encode(to: encoder)
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(stagingFiles, forKey: .stagingFiles)
        try container.encode(stagingBytes, forKey: .stagingBytes)
    }

    enum Keys: String, CodingKey { case stagingFiles, stagingBytes }
}
