/// The representations of a simple page (PEP 691).
public enum SimpleFormat: Sendable, Equatable {
    case json
    case html
    /// `text/html`, the PEP 503 legacy type.
    case legacyHTML

    public var contentType: String {
        switch self {
        case .json: "application/vnd.pypi.simple.v1+json"
        case .html: "application/vnd.pypi.simple.v1+html"
        case .legacyHTML: "text/html; charset=utf-8"
        }
    }

    /// PEP 691 content negotiation.
    ///
    /// - A missing or empty `Accept` means `*/*`; q-values decide, order does not.
    /// - JSON only when the client ranks it strictly above every HTML type (pip and uv do); a tie,
    ///   no `Accept` or `*/*` get `text/html`, as the public index answers browsers, curl and old scripts.
    /// - `…latest+json`/`…latest+html` are answered with the concrete v1 type.
    /// - `format` (the `?format=` query parameter) overrides the header with a media type.
    /// - Returns nil when nothing is acceptable: the caller answers 406.
    public static func negotiate(accept: String?, format: String? = nil) -> SimpleFormat? {
        if let format, !format.isEmpty {
            return negotiate(accept: format, format: nil)
        }
        let header = accept?.trimmingASCIISpaces ?? ""
        if header.isEmpty { return .legacyHTML }
        var json = 0.0, html = 0.0, legacy = 0.0
        for range in header.split(separator: ",") {
            let parts = range.split(separator: ";")
            guard let rawType = parts.first else { continue }
            let type = String(rawType).trimmingASCIISpaces.lowercased()
            var q = 1.0
            for param in parts.dropFirst() {
                let kv = param.split(separator: "=", maxSplits: 1)
                if kv.count == 2, String(kv[0]).trimmingASCIISpaces.lowercased() == "q" {
                    q = Double(String(kv[1]).trimmingASCIISpaces).map { min(max($0, 0), 1) } ?? 0
                }
            }
            switch type {
            case "application/vnd.pypi.simple.v1+json", "application/vnd.pypi.simple.latest+json":
                json = max(json, q)
            case "application/vnd.pypi.simple.v1+html", "application/vnd.pypi.simple.latest+html":
                html = max(html, q)
            case "text/html":
                legacy = max(legacy, q)
            case "*/*", "application/*":
                // application/* covers both vnd.pypi types; */* everything.
                json = max(json, q)
                html = max(html, q)
                if type == "*/*" { legacy = max(legacy, q) }
            case "text/*":
                legacy = max(legacy, q)
            default:
                continue
            }
        }
        let best = max(json, html, legacy)
        guard best > 0 else { return nil }
        if json > max(html, legacy) { return .json }
        return legacy >= html ? .legacyHTML : .html
    }
}

extension StringProtocol {
    var trimmingASCIISpaces: String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" { s = s.dropLast() }
        return String(s)
    }
}
