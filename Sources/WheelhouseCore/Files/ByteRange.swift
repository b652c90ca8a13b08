/// A single `Range: bytes=…` request resolved against a file size (RFC 9110 §14).
///
/// uv reads METADATA out of wheels with ranged requests when no metadata file is advertised, so
/// this must be exact: suffix ranges, open-ended ranges, clamping of the last position.
public enum ByteRange: Equatable, Sendable {
    /// Serve the whole file with 200 (no header, a multi-range request or a syntax we ignore, as RFC 9110 allows).
    case full
    /// Serve this half-open range with 206.
    case partial(Range<Int64>)
    /// 416 with `Content-Range: bytes */size`.
    case unsatisfiable

    public static func resolve(header: String?, size: Int64) -> ByteRange {
        guard let header else { return .full }
        let trimmed = header.trimmingASCIISpaces
        guard trimmed.lowercased().hasPrefix("bytes=") else { return .full }
        let spec = trimmed.dropFirst("bytes=".count).trimmingASCIISpaces
        guard !spec.contains(",") else { return .full }
        let parts = spec.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2 else { return .full }
        let first = parts[0].trimmingASCIISpaces, last = parts[1].trimmingASCIISpaces
        if first.isEmpty {
            // suffix: the last N bytes
            guard let n = Int64(last), n >= 0 else { return .full }
            guard n > 0, size > 0 else { return .unsatisfiable }
            return .partial(max(0, size - n)..<size)
        }
        guard let start = Int64(first), start >= 0 else { return .full }
        let end: Int64
        if last.isEmpty {
            end = size - 1
        } else {
            guard let e = Int64(last), e >= start else { return .full }
            end = min(e, size - 1)
        }
        guard start < size else { return .unsatisfiable }
        return .partial(start..<(end + 1))
    }
}
