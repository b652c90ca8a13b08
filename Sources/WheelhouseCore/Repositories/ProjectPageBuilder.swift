import Foundation
import PythonPackaging

/// Builds a project page from stored rows: done at write time so a page read does no sorting or parsing.
public enum ProjectPageBuilder {
    /// The file URL relative to `/{repo}/simple/{project}/`: works under every alias prefix and host.
    public static func fileURL(sha256: String, filename: String) -> String {
        "../../files/\(sha256)/\(percentEncodePathSegment(filename))"
    }

    public static func page(displayName: String, rows: [DistributionRecord]) -> ProjectPage {
        let keyed = rows.map { row in (row, try? Version(row.version)) }
        let sorted = keyed.sorted { a, b in
            switch (a.1, b.1) {
            case let (va?, vb?): return va != vb ? va < vb : a.0.filename < b.0.filename
            case (nil, _?): return true
            case (_?, nil): return false
            case (nil, nil): return a.0.version != b.0.version ? a.0.version < b.0.version : a.0.filename < b.0.filename
            }
        }
        var versions: [String] = []
        var lastVersion: Version?
        var lastRaw: String?
        for (row, v) in sorted {
            if let v {
                if lastVersion != v { versions.append(v.description) }
                lastVersion = v
            } else if lastRaw != row.version {
                versions.append(row.version)
                lastRaw = row.version
            }
        }
        let files = sorted.map { row, _ in indexFile(row) }
        return ProjectPage(name: displayName, files: files, versions: versions)
    }

    public static func indexFile(_ row: DistributionRecord) -> IndexFile {
        // Only hashlib names may appear (PEP 691): pip rejects a page with "blake2b_256".
        let hashes = ["sha256": row.sha256]
        return IndexFile(
            filename: row.filename,
            url: fileURL(sha256: row.sha256, filename: row.filename),
            hashes: hashes,
            requiresPython: row.requiresPython?.isEmpty == false ? row.requiresPython : nil,
            yanked: row.yanked ? (row.yankedReason ?? "") : nil,
            coreMetadata: row.metadataSHA256.map { ["sha256": $0] },
            size: row.size,
            uploadTime: Timestamp.iso8601(row.uploadTime),
            provenance: row.provenance,
            version: row.version
        )
    }

    static func percentEncodePathSegment(_ s: String) -> String {
        var out = ""
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: "~"), UInt8(ascii: "+"), UInt8(ascii: "!"):
                out.unicodeScalars.append(Unicode.Scalar(b))
            default:
                out += "%" + String(b, radix: 16, uppercase: true).leftPad2
            }
        }
        return out
    }
}

public enum Timestamp {
    /// `2024-01-02T03:04:05.123456Z`, the form the public index uses for `upload-time`.
    public static func iso8601(_ date: Date) -> String {
        let seconds = date.timeIntervalSince1970
        let whole = floor(seconds)
        let micros = Int(((seconds - whole) * 1_000_000).rounded())
        var t = time_t(whole)
        var tmv = tm()
        gmtime_r(&t, &tmv)
        func pad(_ v: Int32, _ n: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, n - s.count)) + s
        }
        let us = String(min(micros, 999_999))
        return "\(pad(tmv.tm_year + 1900, 4))-\(pad(tmv.tm_mon + 1, 2))-\(pad(tmv.tm_mday, 2))T\(pad(tmv.tm_hour, 2)):\(pad(tmv.tm_min, 2)):\(pad(tmv.tm_sec, 2)).\(String(repeating: "0", count: 6 - us.count))\(us)Z"
    }
}
