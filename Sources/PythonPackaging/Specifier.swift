/// One PEP 440 version specifier clause, such as `>=1.0`, `==2.*`, `~=1.4.2` or `===foobar`.
///
/// Matching follows Python's `packaging.specifiers.Specifier` (26.x) exactly, including its
/// handling of pre-, post- and local versions:
/// - `<V` does not match pre-releases of `V` (unless `V` is itself a pre-release);
/// - `>V` does not match post-releases of `V` (unless `V` is itself a post-release), nor local versions of `V`;
/// - `==V` and `!=V` ignore the candidate's local label unless `V` has one; `==V.*` is prefix matching;
/// - `~=V.N` means `>=V.N, ==V.*`;
/// - `===` is a case-insensitive string comparison.
///
/// ```swift
/// let spec = try Specifier(">=1.0")
/// spec.contains(try Version("1.5"))   // true
/// ```
public struct Specifier: Sendable {
    /// A specifier operator.
    public enum Operator: String, Sendable, Hashable, CaseIterable {
        /// `~=`: compatible release.
        case compatible = "~="
        /// `==`: version matching, with optional `.*` prefix matching.
        case equal = "=="
        /// `!=`: version exclusion, with optional `.*` prefix matching.
        case notEqual = "!="
        /// `<=`
        case lessThanOrEqual = "<="
        /// `>=`
        case greaterThanOrEqual = ">="
        /// `<`: exclusive, and excluding pre-releases of the given version.
        case lessThan = "<"
        /// `>`: exclusive, and excluding post-releases of the given version.
        case greaterThan = ">"
        /// `===`: arbitrary (string) equality.
        case arbitrary = "==="
    }

    /// The operator.
    public let `operator`: Operator
    /// The version text as written (without surrounding whitespace), e.g. `1.0`, `2.*`, or any string for `===`.
    public let version: String

    /// The parsed version; for a wildcard, the version before `.*`; `nil` only for a `===` string that is no PEP 440 version.
    let parsedVersion: Version?
    /// Whether `version` ends in `.*` (only with `==` and `!=`).
    let isWildcard: Bool
    /// For `==V.*`, `!=V.*` and `~=`: the split prefix the candidate is matched against.
    let prefixComponents: [String]?

    /// Parses one specifier clause.
    ///
    /// - Throws: ``PackagingError`` with code ``PackagingError/Code/invalidSpecifier``.
    public init(_ string: String) throws {
        let trimmed = PythonText.strip(string)
        guard let op = Self.operatorPrefix(of: trimmed) else {
            throw Self.invalid(string, "expected one of ~=, ==, !=, <=, >=, <, >, === followed by a version")
        }
        let rest = PythonText.strip(Substring(trimmed.unicodeScalars.dropFirst(op.rawValue.unicodeScalars.count)))
        self.operator = op
        self.version = rest

        if op == .arbitrary {
            guard !rest.unicodeScalars.contains(where: { PythonText.isWhitespace($0) || $0 == ";" || $0 == ")" }) else {
                throw Self.invalid(string, "an arbitrary (===) version cannot contain whitespace, ';' or ')'")
            }
            parsedVersion = try? Version(rest)
            isWildcard = false
            prefixComponents = nil
            return
        }

        if (op == .equal || op == .notEqual) && rest.hasSuffix(".*") {
            let base = String(rest.dropLast(2))
            guard Self.isPlainRelease(base), let baseVersion = try? Version(base) else {
                throw Self.invalid(string, "'.*' may only follow a release segment such as 1.2")
            }
            parsedVersion = baseVersion
            isWildcard = true
            prefixComponents = SpecifierPrefix.split(wildcardBase: base)
            return
        }

        guard !PythonText.containsWhitespace(rest), let parsed = try? Version(rest) else {
            throw Self.invalid(string, "'\(rest)' is not a valid PEP 440 version")
        }
        if parsed.local != nil && op != .equal && op != .notEqual {
            throw Self.invalid(string, "local versions (+...) are only allowed with == and !=")
        }
        if op == .compatible && parsed.release.count < 2 {
            throw Self.invalid(string, "~= needs a version with at least two release segments, such as ~=1.0")
        }
        parsedVersion = parsed
        isWildcard = false
        prefixComponents = op == .compatible ? SpecifierPrefix.split(compatible: rest) : nil
    }

    /// Whether this specifier on its own implies that pre-releases are wanted: `true` when its
    /// version is a pre-release (except for `!=` and `==V.*`, which never imply it), `nil` for a
    /// `===` string that is not a PEP 440 version. Mirrors `packaging`'s `Specifier.prereleases`.
    public var prereleases: Bool? {
        if self.operator == .notEqual || (self.operator == .equal && isWildcard) {
            return false
        }
        return parsedVersion?.isPrerelease
    }

    private static func operatorPrefix(of text: String) -> Operator? {
        // Longest operators first, compared by scalar so a combining mark cannot hide a prefix.
        let candidates: [Operator] = [.arbitrary, .compatible, .equal, .notEqual, .lessThanOrEqual, .greaterThanOrEqual, .lessThan, .greaterThan]
        return candidates.first { text.unicodeScalars.starts(with: $0.rawValue.unicodeScalars) }
    }

    /// `v?([0-9]+!)?[0-9]+(\.[0-9]+)*`, the only form allowed before `.*`.
    private static func isPlainRelease(_ text: String) -> Bool {
        var body = Substring(text)
        if let first = body.first, first == "v" || first == "V" {
            body = body.dropFirst()
        }
        if let bang = body.firstIndex(of: "!") {
            guard PythonText.isDigits(body[..<bang]) else { return false }
            body = body[body.index(after: bang)...]
        }
        let parts = body.split(separator: ".", omittingEmptySubsequences: false)
        return parts.allSatisfy { PythonText.isDigits($0) }
    }

    private static func invalid(_ string: String, _ reason: String) -> PackagingError {
        PackagingError(.invalidSpecifier, "invalid version specifier '\(string)': \(reason)")
    }
}

extension Specifier: CustomStringConvertible {
    /// The operator followed by the version as written, e.g. `>=1.0`.
    public var description: String { self.operator.rawValue + version }
}

extension Specifier: Hashable {
    /// Specifiers are equal when they accept the same versions by the same rule, as in `packaging`:
    /// `==1.0` equals `==1.0.0`, but `~=1.0` differs from `~=1.0.0`.
    public static func == (lhs: Specifier, rhs: Specifier) -> Bool {
        lhs.canonicalKey == rhs.canonicalKey
    }

    /// Hashes the canonical form `==` compares.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(canonicalKey)
    }

    /// `packaging`'s `_canonical_spec`.
    var canonicalKey: [String] {
        guard self.operator != .arbitrary, !isWildcard, let parsedVersion else {
            return [self.operator.rawValue, version]
        }
        guard self.operator != .compatible else {
            return [self.operator.rawValue, parsedVersion.description]
        }
        var release = parsedVersion.release
        while release.count > 1 && release.last == 0 {
            release.removeLast()
        }
        let trimmed = Version(
            epoch: parsedVersion.epoch, release: release, pre: parsedVersion.pre,
            post: parsedVersion.post, dev: parsedVersion.dev, local: parsedVersion.local
        )
        return [self.operator.rawValue, trimmed.description]
    }
}
