import Foundation
import Logging

/// Where log lines go: an in-memory buffer that one background thread writes to a file descriptor.
///
/// swift-log's `StreamLogHandler` formats a local-time timestamp with `strftime`, sorts and joins the
/// metadata into a new string, and `fwrite`s + `fflush`es under a global lock on the request's own
/// thread, once per line: with one log line per request that was the largest cost of the page route
/// after the response copy, and a slow reader of stdout (a pipe to journald, a container runtime)
/// stalled requests. Here a request only appends to a buffer; the writer thread takes whatever has
/// accumulated in the last millisecond in one `write(2)`, so lines are batched under load and still
/// appear within a millisecond when idle.
/// A reader slower than the server makes the buffer reach `limit`, and appenders then wait: lines are
/// never dropped. `flush()` returns when everything appended so far has been written.
public final class LogSink: @unchecked Sendable {
    public static let standardOutput = LogSink(fileDescriptor: STDOUT_FILENO)

    let fd: Int32
    let limit: Int
    private let condition = NSCondition()
    private var pending: [UInt8] = []
    private var writing = false
    /// The writer thread waits for lines: only then does an append need to wake it.
    private var writerIdle = false
    /// A write to the descriptor failed (closed pipe, full disk): later lines are dropped rather than
    /// retried forever, and appenders never block on them.
    private var failed = false

    public init(fileDescriptor: Int32, limit: Int = 1 << 20) {
        self.fd = fileDescriptor
        self.limit = limit
        // The thread keeps the sink alive: a sink lives as long as the process (one per output).
        let thread = Thread { self.drain() }
        thread.name = "wheelhouse-log"
        thread.start()
    }

    public func append(_ line: String) {
        var line = line
        line.withUTF8 { bytes in
            condition.lock()
            while pending.count >= limit && !failed { condition.wait() }
            if !failed { pending.append(contentsOf: bytes) }
            if writerIdle { condition.broadcast() }
            condition.unlock()
        }
    }

    /// Blocks until every line appended before the call is written.
    public func flush() {
        condition.lock()
        while (!pending.isEmpty || writing) && !failed { condition.wait() }
        condition.unlock()
    }

    private func drain() {
        var batch: [UInt8] = []
        condition.lock()
        while true {
            while pending.isEmpty {
                writerIdle = true
                condition.wait()
            }
            writerIdle = false
            if pending.count < limit / 4 {
                // Let lines gather for a millisecond: under load one write and one wake-up per
                // millisecond instead of one per request; an idle server's line is late by 1 ms.
                condition.unlock()
                usleep(1000)
                condition.lock()
            }
            swap(&batch, &pending)
            writing = true
            condition.broadcast()
            condition.unlock()
            let ok = writeAll(batch)
            batch.removeAll(keepingCapacity: batch.capacity <= 4 * limit)
            condition.lock()
            writing = false
            if !ok && !failed {
                failed = true
                pending.removeAll()
            }
            condition.broadcast()
        }
    }

    private func writeAll(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 {
                    if errno == EINTR || errno == EAGAIN { continue }
                    return false
                }
                offset += n
            }
            return true
        }
    }
}

/// The log line format of swift-log's `StreamLogHandler` (`<time> <level> <label>: k=v … [source] message`,
/// metadata sorted by key) with a UTC timestamp in milliseconds, handed to a `LogSink`.
public struct LineLogHandler: LogHandler {
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    let label: String
    let sink: LogSink

    public init(label: String, sink: LogSink, metadataProvider: Logger.MetadataProvider? = LoggingSystem.metadataProvider) {
        self.label = label
        self.sink = sink
        self.metadataProvider = metadataProvider
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        sink.append(Self.format(event, label: label, base: metadata, provided: metadataProvider?.get() ?? [:], at: Date()))
    }

    static func format(_ event: LogEvent, label: String, base: Logger.Metadata, provided: Logger.Metadata, at date: Date) -> String {
        var merged = base
        if !provided.isEmpty { merged.merge(provided) { _, new in new } }
        if let explicit = event.metadata, !explicit.isEmpty { merged.merge(explicit) { _, new in new } }
        if let error = event.error {
            merged["error.message"] = "\(error)"
            merged["error.type"] = "\(String(reflecting: type(of: error)))"
        }
        var line = timestamp(date)
        line.reserveCapacity(160)
        line += " "
        line += event.level.rawValue
        if !label.isEmpty {
            line += " "
            line += label
        }
        line += ":"
        for key in merged.keys.sorted() {
            line += " "
            line += key
            line += "="
            line += merged[key]!.description
        }
        line += " ["
        line += event.source
        line += "] "
        line += event.message.description
        line += "\n"
        return line
    }

    /// `2026-11-27T14:54:11.123Z`
    static func timestamp(_ date: Date) -> String {
        let interval = date.timeIntervalSince1970
        var seconds = time_t(interval.rounded(.down))
        let millis = Int((interval - interval.rounded(.down)) * 1000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        var s = ""
        s.reserveCapacity(24)
        func pad(_ value: Int32, _ width: Int) {
            let digits = String(value)
            if digits.count < width { s += String(repeating: "0", count: width - digits.count) }
            s += digits
        }
        pad(parts.tm_year + 1900, 4); s += "-"; pad(parts.tm_mon + 1, 2); s += "-"; pad(parts.tm_mday, 2)
        s += "T"; pad(parts.tm_hour, 2); s += ":"; pad(parts.tm_min, 2); s += ":"; pad(parts.tm_sec, 2)
        s += "."; pad(Int32(millis), 3); s += "Z"
        return s
    }
}

/// The per-request log line, formatted directly: the same line `LineLogHandler` would write for the
/// request's metadata (keys in sorted order), without building a `Logger.Metadata` dictionary, merging
/// and sorting it, and `String(format:)` for the duration: that was 6% of the page route's CPU.
public struct AccessLog: Sendable {
    let sink: LogSink
    let label: String

    public init(sink: LogSink, label: String) {
        self.sink = sink
        self.label = label
    }

    struct Entry {
        var method: String
        var path: String
        var status: Int
        var bytes: String
        var durationMicros: Int64
        var client: String?
        var repository: String?
        var user: String?

        /// The same facts for a `Logger` (when no `LogSink` is configured).
        var metadata: Logger.Metadata {
            var m: Logger.Metadata = [
                "method": "\(method)", "path": "\(path)", "status": "\(status)", "bytes": "\(bytes)",
                "duration_ms": "\(AccessLog.millis(durationMicros))",
            ]
            if let client { m["client"] = "\(client)" }
            if let repository { m["wh.repo"] = "\(repository)" }
            if let user { m["wh.user"] = "\(user)" }
            return m
        }
    }

    func write(_ entry: Entry) {
        sink.append(Self.format(entry, label: label, at: Date()))
    }

    static func format(_ e: Entry, label: String, at date: Date) -> String {
        var line = LineLogHandler.timestamp(date)
        line.reserveCapacity(96 + e.path.utf8.count)
        line += " info "
        line += label
        line += ": bytes="
        line += e.bytes
        if let client = e.client {
            line += " client="
            line += client
        }
        line += " duration_ms="
        line += millis(e.durationMicros)
        line += " method="
        line += e.method
        line += " path="
        line += e.path
        line += " status="
        line += String(e.status)
        if let repository = e.repository {
            line += " wh.repo="
            line += repository
        }
        if let user = e.user {
            line += " wh.user="
            line += user
        }
        line += " [WheelhouseHTTP] request\n"
        return line
    }

    /// Microseconds as milliseconds with two decimals, rounded half up: 1234 → "1.23".
    static func millis(_ micros: Int64) -> String {
        let hundredths = (max(0, micros) + 5) / 10
        let fraction = hundredths % 100
        return String(hundredths / 100) + (fraction < 10 ? ".0" : ".") + String(fraction)
    }
}
