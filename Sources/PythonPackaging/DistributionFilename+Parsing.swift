extension DistributionFilename {
    static let wheelForm = "expected {name}-{version}(-{build})?-{python}-{abi}-{platform}.whl"
    static let sdistForm = "expected {name}-{version} followed by .tar.gz or .zip"

    /// `{distribution}-{version}(-{build tag})?-{python tag}-{abi tag}-{platform tag}`.
    static func parseWheel(filename: String, stem: String) throws -> Parts {
        func invalid(_ reason: String) -> PackagingError {
            PackagingError(.invalidFilename, "invalid wheel filename '\(filename)': \(reason)")
        }
        let parts = stem.split(separator: "-", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 5 || parts.count == 6, parts.allSatisfy({ !$0.isEmpty }) else {
            throw invalid(wheelForm)
        }
        let name = parts[0]
        // packaging rejects "__" and anything but word characters, digits, '.' and '_' (PEP 427 escaping).
        guard !name.contains("__"), name.unicodeScalars.allSatisfy({ isWordCharacter($0) || $0 == "." }) else {
            throw invalid("the name '\(name)' must be escaped, using '_' for runs of '-', '_' and '.'")
        }
        var buildTag: String?
        if parts.count == 6 {
            guard let first = parts[2].utf8.first, first >= UInt8(ascii: "0"), first <= UInt8(ascii: "9") else {
                throw invalid("the build tag '\(parts[2])' must start with a digit")
            }
            buildTag = parts[2]
        }
        let (pythons, abis, platforms) = (parts[parts.count - 3], parts[parts.count - 2], parts[parts.count - 1])
        var tags: [String] = []
        for python in pythons.split(separator: ".", omittingEmptySubsequences: false) {
            for abi in abis.split(separator: ".", omittingEmptySubsequences: false) {
                for platform in platforms.split(separator: ".", omittingEmptySubsequences: false) {
                    tags.append("\(python)-\(abi)-\(platform)")
                }
            }
        }
        return Parts(
            kind: .wheel,
            project: String(name.map { $0 == "_" ? "-" : $0 }),
            version: parts[1],
            buildTag: buildTag,
            tags: tags
        )
    }

    /// `{name}-{version}`, where the name may contain `-` in legacy sdists.
    static func parseSdist(filename: String, stem: String, project: String?) throws -> Parts {
        guard let (name, version) = splitNameAndVersion(stem, project: project) else {
            throw PackagingError(.invalidFilename, "invalid sdist filename '\(filename)': \(sdistForm)")
        }
        // A platform in the version (`foo-1.0.linux-x86_64.tar.gz`) marks a `bdist_dumb` archive.
        if let withoutPlatform = strippingPlatform(version) {
            return Parts(kind: .other, project: name, version: withoutPlatform)
        }
        return Parts(kind: .sdist, project: name, version: version)
    }

    /// `{name}-{version}(-py{X.Y}(-{platform})?)?`, name and version escaped with `_`.
    static func parseEgg(filename: String, stem: String) throws -> Parts {
        let parts = stem.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count >= 2, !parts[0].isEmpty, !parts[1].isEmpty else {
            throw PackagingError(.invalidFilename, "invalid egg filename '\(filename)': expected {name}-{version}(-py{X.Y}(-{platform})?)?.egg")
        }
        return Parts(kind: .egg, project: String(parts[0]), version: String(parts[1]))
    }

    /// Retired installers: `{name}-{version}.{platform}(-py{X.Y})?.exe|.msi`,
    /// `{name}-{version}-{release}.{arch}.rpm`, `{name}-{version}(-py{X.Y})?(-macosx…)?.dmg`.
    static func parseInstaller(filename: String, stem: String, archiveExtension: String, project: String?) throws -> Parts {
        var rest = stem
        switch archiveExtension.lowercased() {
        case ".rpm":
            // Drop the architecture, then the package release.
            if let dot = rest.lastIndex(of: ".") {
                rest = String(rest[..<dot])
            }
            if let dash = rest.lastIndex(of: "-") {
                rest = String(rest[..<dash])
            }
        default:
            if let offset = asciiFind("-macosx", in: rest, last: true) {
                rest = prefix(of: rest, utf8Count: offset)
            }
            if let dash = rest.lastIndex(of: "-") {
                let suffix = rest[rest.index(after: dash)...]
                if suffix.hasPrefix("py"), suffix.dropFirst(2).allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }) {
                    rest = String(rest[..<dash])
                }
            }
            if let withoutPlatform = strippingPlatform(rest) {
                rest = withoutPlatform
            }
        }
        guard let (name, version) = splitNameAndVersion(rest, project: project) else {
            throw PackagingError(.invalidFilename, "invalid distribution filename '\(filename)': cannot tell the project name from the version")
        }
        return Parts(kind: .other, project: name, version: version)
    }

    /// Splits `{name}-{version}`: after the name matching the `project` hint when there is one,
    /// otherwise at the last `-` followed by a digit (or `v` and a digit), otherwise at the last `-`.
    static func splitNameAndVersion(_ stem: String, project: String?) -> (String, String)? {
        let dashes = stem.indices.filter { stem[$0] == "-" }
        func split(at dash: String.Index) -> (String, String)? {
            let name = String(stem[..<dash])
            let version = String(stem[stem.index(after: dash)...])
            return name.isEmpty || version.isEmpty ? nil : (name, version)
        }
        if let project {
            let wanted = ProjectName.normalize(project)
            if let dash = dashes.first(where: { ProjectName.normalize(String(stem[..<$0])) == wanted }) {
                return split(at: dash)
            }
        }
        let startsVersion = dashes.last { dash in
            let after = stem[stem.index(after: dash)...]
            let digitsFrom = after.first == "v" || after.first == "V" ? after.dropFirst() : after
            return digitsFrom.first.map { $0.isASCII && $0.isNumber } ?? false
        }
        guard let dash = startsVersion ?? dashes.last else { return nil }
        return split(at: dash)
    }

    /// `text` up to a `distutils` platform name (`.linux-x86_64`, `.win32`, `.win-amd64`,
    /// `.macosx-10.9-x86_64`), or `nil` when it has none.
    static func strippingPlatform(_ text: String) -> String? {
        let markers = [".linux-", ".linux_", ".win32", ".win-", ".macosx-", ".cygwin-", ".freebsd-", ".solaris-", ".darwin-"]
        guard let offset = markers.compactMap({ asciiFind($0, in: text, last: false) }).min() else { return nil }
        return prefix(of: text, utf8Count: offset)
    }

    /// The UTF-8 offset of `needle` (ASCII, lower-case) in `haystack`, ignoring ASCII case.
    static func asciiFind(_ needle: String, in haystack: String, last: Bool) -> Int? {
        let pattern = Array(needle.utf8)
        let bytes = haystack.utf8.map { $0 >= 65 && $0 <= 90 ? $0 + 32 : $0 }
        guard bytes.count >= pattern.count else { return nil }
        let starts = 0...(bytes.count - pattern.count)
        let matches = { (start: Int) in bytes[start..<start + pattern.count].elementsEqual(pattern) }
        return last ? starts.reversed().first(where: matches) : starts.first(where: matches)
    }

    /// The first `count` UTF-8 bytes of `text` (at a scalar boundary).
    static func prefix(of text: String, utf8Count count: Int) -> String {
        String(decoding: text.utf8.prefix(count), as: UTF8.self)
    }

    /// Python's `\w` in a Unicode pattern, approximately: letters, digits (any script) and `_`.
    static func isWordCharacter(_ scalar: Unicode.Scalar) -> Bool {
        scalar == "_" || scalar.properties.isAlphabetic || scalar.properties.numericType != nil
    }
}
