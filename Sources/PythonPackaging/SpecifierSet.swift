/// A comma-separated set of PEP 440 version specifiers, such as `>=1.0,!=1.3.*,<2`; the empty
/// string is the set that accepts any version.
///
/// Behaves like Python's `packaging.specifiers.SpecifierSet` (26.x): a version is contained
/// when every clause matches, and the pre-release policy is decided for the set as a whole
/// (see ``prereleases`` and ``contains(_:prereleases:)-(Version,_)``).
///
/// ```swift
/// let requiresPython = try SpecifierSet(">=3.9, <4")
/// requiresPython.contains("3.12.1")   // true
/// ```
public struct SpecifierSet: Sendable {
    /// The clauses, in the order written.
    public let specifiers: [Specifier]
    /// Whether the text contained `===`: then string candidates are compared as given, not normalized.
    private let hasArbitrary: Bool

    /// Parses a comma-separated specifier list. Empty clauses and surrounding whitespace are ignored.
    ///
    /// - Throws: ``PackagingError`` with code ``PackagingError/Code/invalidSpecifier`` naming the bad clause.
    public init(_ string: String) throws {
        var specifiers: [Specifier] = []
        for clause in string.split(separator: ",", omittingEmptySubsequences: false) {
            let trimmed = PythonText.strip(clause)
            guard !trimmed.isEmpty else { continue }
            do {
                specifiers.append(try Specifier(trimmed))
            } catch let error as PackagingError {
                throw PackagingError(.invalidSpecifier, "invalid version specifier set '\(string)': \(error.message)")
            }
        }
        self.specifiers = specifiers
        self.hasArbitrary = string.contains("===")
    }

    /// A set of already parsed clauses.
    public init(_ specifiers: [Specifier]) {
        self.specifiers = specifiers
        self.hasArbitrary = specifiers.contains { $0.operator == .arbitrary }
    }

    /// Whether the set accepts any version (it has no clauses).
    public var isEmpty: Bool { specifiers.isEmpty }

    /// The set's implied pre-release policy: `true` when some clause names a pre-release
    /// (`>=1.0b1`), otherwise `nil` ("decide by PEP 440's default"). Mirrors `packaging`.
    ///
    /// The pre-`packaging`-26 behaviour of ``contains(_:prereleases:)-(Version,_)``, which
    /// rejected pre-releases unless a clause named one, is
    /// `set.contains(version, prereleases: set.prereleases ?? false)`.
    public var prereleases: Bool? {
        specifiers.contains { $0.prereleases == true } ? true : nil
    }

    /// Whether `version` satisfies every clause.
    ///
    /// - Parameters:
    ///   - version: The candidate.
    ///   - prereleases: `false` rejects pre-releases, `true` accepts matching ones. `nil` (the
    ///     default) follows `packaging` 26: a lone matching pre-release is accepted, because PEP 440
    ///     allows pre-releases when no final release satisfies the specifier. To choose among many
    ///     versions, use ``filter(_:prereleases:)``, which drops pre-releases when finals match.
    public func contains(_ version: Version, prereleases: Bool? = nil) -> Bool {
        contains(version, spelledAs: version.description, prereleases: prereleases)
    }

    /// Whether the version written `versionString` satisfies every clause.
    ///
    /// A string that is not a PEP 440 version can only match `===` clauses (compared
    /// case-insensitively as written), except that the empty set accepts anything.
    public func contains(_ versionString: String, prereleases: Bool? = nil) -> Bool {
        guard let version = try? Version(versionString) else {
            if specifiers.isEmpty {
                return true
            }
            let spelling = PythonText.lower(versionString)
            return specifiers.allSatisfy { $0.operator == .arbitrary && PythonText.lower($0.version) == spelling }
        }
        return contains(version, spelledAs: hasArbitrary ? versionString : version.description, prereleases: prereleases)
    }

    private func contains(_ version: Version, spelledAs spelling: String, prereleases: Bool?) -> Bool {
        let policy = prereleases ?? self.prereleases
        if policy == false && version.isPrerelease {
            return false
        }
        return specifiers.allSatisfy { $0.matches(version, spelledAs: spelling) }
    }

    /// The versions that satisfy the set, in their original order, with PEP 440's pre-release rule:
    /// unless `prereleases` (or the set itself, see ``prereleases``) says otherwise, pre-releases are
    /// dropped when at least one final release matches, and kept when only pre-releases match.
    ///
    /// ```swift
    /// try SpecifierSet(">=1.0").filter([Version("1.3"), Version("1.5a1")])   // [1.3]
    /// try SpecifierSet(">=1.0").filter([Version("1.5a1")])                   // [1.5a1]
    /// ```
    public func filter(_ versions: some Sequence<Version>, prereleases: Bool? = nil) -> [Version] {
        let policy = prereleases ?? self.prereleases
        let matching = versions.filter { contains($0, spelledAs: $0.description, prereleases: policy ?? true) }
        guard policy == nil else { return matching }
        let finals = matching.filter { !$0.isPrerelease }
        return finals.isEmpty ? matching : finals
    }
}

extension SpecifierSet: CustomStringConvertible {
    /// The clauses sorted by text with duplicates removed, joined by `,` (e.g. `!=1.3,>=1.0`), as `packaging` prints them.
    public var description: String {
        canonicalSpecifiers.map(\.description).joined(separator: ",")
    }

    /// `packaging`'s `_canonical_specs`: sorted by text, then de-duplicated by specifier equality.
    private var canonicalSpecifiers: [Specifier] {
        var seen: Set<Specifier> = []
        return specifiers
            .sorted { PythonText.codePointLess($0.description, $1.description) }
            .filter { seen.insert($0).inserted }
    }
}

extension SpecifierSet: Hashable {
    /// Sets are equal when their sorted, de-duplicated clauses are equal (`>=1.0,<2` == `<2, >=1.0.0`).
    public static func == (lhs: SpecifierSet, rhs: SpecifierSet) -> Bool {
        lhs.canonicalSpecifiers == rhs.canonicalSpecifiers
    }

    /// Hashes the canonical clauses `==` compares.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(canonicalSpecifiers)
    }
}
