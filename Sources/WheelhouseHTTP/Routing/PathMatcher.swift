/// Matches path segments against a pattern like `repositories/*/projects/*`; `*` captures one segment.
struct PathMatcher {
    let segments: [String]
    init(_ segments: [String]) { self.segments = segments }

    func match(_ pattern: String) -> [String]? {
        let parts = pattern.split(separator: "/")
        guard parts.count == segments.count else { return nil }
        var captures: [String] = []
        for (p, s) in zip(parts, segments) {
            if p == "*" { captures.append(s) } else if p != s { return nil }
        }
        return captures
    }
}
