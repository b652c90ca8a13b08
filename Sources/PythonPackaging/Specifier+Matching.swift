extension Specifier {
    /// Whether `version` satisfies this specifier.
    ///
    /// - Parameters:
    ///   - version: The candidate.
    ///   - prereleases: `false` rejects every pre-release; `true` or `nil` (the default) accept a
    ///     matching pre-release. (Since `packaging` 26.0 a lone candidate is "the only version
    ///     available", so PEP 440 lets it match; use ``SpecifierSet/filter(_:prereleases:)`` to drop
    ///     pre-releases when final releases also match.)
    public func contains(_ version: Version, prereleases: Bool? = nil) -> Bool {
        if prereleases == false && version.isPrerelease {
            return false
        }
        return matches(version, spelledAs: version.description)
    }

    /// The operator's rule alone, without any pre-release policy. `spelling` is the candidate's
    /// text for `===` (normalized for a `Version`, as given for a string).
    func matches(_ candidate: Version, spelledAs spelling: String) -> Bool {
        guard let spec = parsedVersion else {
            return PythonText.lower(spelling) == PythonText.lower(version)
        }
        switch self.operator {
        case .arbitrary:
            return PythonText.lower(spelling) == PythonText.lower(version)
        case .equal:
            return isEqual(candidate, to: spec)
        case .notEqual:
            return !isEqual(candidate, to: spec)
        case .lessThanOrEqual:
            return candidate.publicVersion <= spec
        case .greaterThanOrEqual:
            return candidate.publicVersion >= spec
        case .lessThan:
            guard candidate < spec else { return false }
            // PEP 440: <V must not match a pre-release of V unless V is itself a pre-release.
            if !spec.isPrerelease && candidate.isPrerelease {
                let earliest = Version(epoch: spec.epoch, release: spec.release, pre: spec.pre, post: spec.post, dev: 0)
                return candidate < earliest
            }
            return true
        case .greaterThan:
            guard candidate > spec else { return false }
            // PEP 440: >V must not match a post-release of V unless V is itself a post-release…
            if !spec.isPostRelease && candidate.isPostRelease {
                let postBase = Version(epoch: candidate.epoch, release: candidate.release, pre: candidate.pre)
                if postBase == spec {
                    return false
                }
            }
            // …nor a local version of V.
            return !(candidate.local != nil && candidate.publicVersion == spec)
        case .compatible:
            return candidate.publicVersion >= spec && SpecifierPrefix.matches(candidate, prefixComponents ?? [])
        }
    }

    private func isEqual(_ candidate: Version, to spec: Version) -> Bool {
        if isWildcard {
            return SpecifierPrefix.matches(candidate, prefixComponents ?? [])
        }
        return (spec.local == nil ? candidate.publicVersion : candidate) == spec
    }
}

/// `packaging`'s string-based prefix matching for `==V.*`, `!=V.*` and `~=`, reproduced
/// literally (`_version_split`, `_left_pad`, …) so that odd spellings behave the same.
enum SpecifierPrefix {
    /// The components of `==base.*`.
    static func split(wildcardBase base: String) -> [String] {
        let canonical = (try? Version(base))?.description ?? base
        return versionSplit(canonical)
    }

    /// The components of the implied `==prefix.*` of `~=version`: every release component but the last.
    static func split(compatible version: String) -> [String] {
        let kept = versionSplit(version).prefix { !isSuffix($0) }.dropLast()
        guard let epoch = kept.first else { return [] }
        let prefix = "\(epoch)!" + kept.dropFirst().joined(separator: ".")
        return split(wildcardBase: prefix)
    }

    /// Whether the public part of `candidate`, zero-padded, starts with `components`.
    static func matches(_ candidate: Version, _ components: [String]) -> Bool {
        let split = versionSplit(candidate.publicVersion.description)
        let target = numericPrefixLength(components)
        let numeric = numericPrefixLength(split)
        var padded = split
        if target > numeric {
            padded.insert(contentsOf: repeatElement("0", count: target - numeric), at: numeric)
        }
        return Array(padded.prefix(components.count)) == components
    }

    /// `_version_split`: epoch (default `0`), then dot-separated parts, with `1rc2` split into `1`, `rc2`.
    static func versionSplit(_ version: String) -> [String] {
        let epoch: Substring
        let rest: Substring
        if let bang = version.lastIndex(of: "!") {
            epoch = version[..<bang]
            rest = version[version.index(after: bang)...]
        } else {
            (epoch, rest) = ("", Substring(version))
        }
        var result = [epoch.isEmpty ? "0" : String(epoch)]
        for item in rest.split(separator: ".", omittingEmptySubsequences: false) {
            if let (number, pre) = splitPrefix(item) {
                result.append(number)
                result.append(pre)
            } else {
                result.append(String(item))
            }
        }
        return result
    }

    /// Matches `([0-9]+)((?:a|b|c|rc)[0-9]+)` in full.
    private static func splitPrefix(_ item: Substring) -> (String, String)? {
        guard let letterStart = item.firstIndex(where: { !("0"..."9").contains($0) }), letterStart != item.startIndex else {
            return nil
        }
        let number = item[..<letterStart]
        let tail = item[letterStart...]
        for letters in ["rc", "a", "b", "c"] where tail.hasPrefix(letters) {
            let digits = tail.dropFirst(letters.count)
            if PythonText.isDigits(number), PythonText.isDigits(digits) {
                return (String(number), String(tail))
            }
        }
        return nil
    }

    private static func isSuffix(_ segment: String) -> Bool {
        ["dev", "a", "b", "rc", "post"].contains { segment.hasPrefix($0) }
    }

    private static func numericPrefixLength(_ split: [String]) -> Int {
        split.prefix { PythonText.isDigits($0) }.count
    }
}
