import Foundation
import Logging
import Testing
@testable import WheelhouseHTTP

@Suite struct LogOutputTests {
    func event(_ message: Logger.Message, metadata: Logger.Metadata? = nil, error: (any Error)? = nil) -> LogEvent {
        LogEvent(level: .info, message: message, error: error, metadata: metadata, source: "WheelhouseHTTP", file: #fileID, function: #function, line: #line)
    }

    @Test func formatsLikeStreamLogHandlerWithSortedMetadata() {
        let date = Date(timeIntervalSince1970: 1_795_791_251.123_9)   // 2026-11-27T14:54:11.123Z
        let line = LineLogHandler.format(
            event("request", metadata: ["status": "200", "method": "GET", "path": "/a/simple/"]),
            label: "wheelhouse", base: ["node": "n1", "status": "overridden"], provided: [:], at: date)
        #expect(line == "2026-11-27T14:54:11.123Z info wheelhouse: method=GET node=n1 path=/a/simple/ status=200 [WheelhouseHTTP] request\n")
    }

    @Test func providedMetadataAndErrorsAreMerged() {
        struct Boom: Error, CustomStringConvertible { var description: String { "boom" } }
        let line = LineLogHandler.format(
            event("failed", error: Boom()), label: "", base: [:], provided: ["trace": "t1"], at: Date(timeIntervalSince1970: 0))
        #expect(line.hasPrefix("1970-01-01T00:00:00.000Z info: error.message=boom error.type="))
        #expect(line.hasSuffix(" trace=t1 [WheelhouseHTTP] failed\n"))
    }

    /// The direct request line is exactly what the handler writes for the same metadata.
    @Test func accessLineMatchesTheHandlersLine() {
        let date = Date(timeIntervalSince1970: 1_795_791_251.5)
        let full = AccessLog.Entry(method: "GET", path: "/r/simple/a%20b/", status: 304, bytes: "0", durationMicros: 1_234_567,
                                   client: "127.0.0.1", repository: "r", user: "ci")
        let bare = AccessLog.Entry(method: "HEAD", path: "/", status: 200, bytes: "-", durationMicros: 4, client: nil, repository: nil, user: nil)
        for e in [full, bare] {
            var metadata: Logger.Metadata = [
                "method": "\(e.method)", "path": "\(e.path)", "status": "\(e.status)", "bytes": "\(e.bytes)",
                "duration_ms": "\(String(format: "%.2f", Double(e.durationMicros) / 1000))",
            ]
            if let v = e.client { metadata["client"] = "\(v)" }
            if let v = e.repository { metadata["wh.repo"] = "\(v)" }
            if let v = e.user { metadata["wh.user"] = "\(v)" }
            let expected = LineLogHandler.format(event("request", metadata: metadata), label: "wheelhouse", base: [:], provided: [:], at: date)
            #expect(AccessLog.format(e, label: "wheelhouse", at: date) == expected)
            // The fallback through a Logger writes the same line.
            #expect(LineLogHandler.format(event("request", metadata: e.metadata), label: "wheelhouse", base: [:], provided: [:], at: date) == expected)
        }
        #expect(AccessLog.millis(0) == "0.00" && AccessLog.millis(5) == "0.01" && AccessLog.millis(10_049) == "10.05")
        #expect(AccessLog.millis(1_999_995) == "2000.00")
    }

    @Test func timestampsArePaddedUTC() {
        #expect(LineLogHandler.timestamp(Date(timeIntervalSince1970: 946_782_245.0075)) == "2000-01-02T03:04:05.007Z")
    }

    /// Many threads append at once; after `flush` the file holds every line, whole and unmixed.
    @Test func concurrentLinesAreWrittenWholeAndFlushed() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("wheelhouse-log-\(UUID().uuidString)").path
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        #expect(fd >= 0)
        defer { close(fd); unlink(path) }
        // A small limit makes appenders wait for the writer thread, the back-pressure path.
        let sink = LogSink(fileDescriptor: fd, limit: 4096)
        let threads = 8, perThread = 2000
        DispatchQueue.concurrentPerform(iterations: threads) { t in
            for i in 0..<perThread {
                sink.append("thread=\(t) line=\(i) \(String(repeating: "x", count: i % 97))\n")
            }
        }
        sink.flush()
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        #expect(lines.count == threads * perThread)
        var next = [Int](repeating: 0, count: threads)
        for line in lines {
            let fields = line.split(separator: " ")
            let t = Int(fields[0].dropFirst("thread=".count))!, i = Int(fields[1].dropFirst("line=".count))!
            #expect(i == next[t], "lines of one thread out of order or missing")
            #expect(fields.count == (i % 97 == 0 ? 2 : 3) && (fields.count == 2 || fields[2].count == i % 97))
            next[t] = i + 1
        }
    }
}
