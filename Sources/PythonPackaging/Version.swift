/// A PEP 440 version, compared and normalized exactly as Python's `packaging` does.
///
/// ```swift
/// let version = try Version("1.0-RC.1")
/// version.description        // "1.0rc1"
/// try Version("1.0") == Version("1.0.0")   // true
/// try Version("1.0.dev1") < Version("1.0a1") // true
/// ```
///
/// Equality and hashing follow PEP 440: trailing zeros of the release segment are ignored,
/// and spellings that normalize to the same version are equal. Use ``description`` for the
/// normalized text.
public struct Version: Sendable {
    /// A pre-release segment: `a1`, `b2`, `rc3`.
    public struct PreRelease: Hashable, Sendable, Comparable, CustomStringConvertible {
        /// The pre-release phase, ordered alpha < beta < release candidate.
        public enum Kind: String, Hashable, Sendable, Comparable, CaseIterable {
            /// `a` (also spelled `alpha`).
            case alpha = "a"
            /// `b` (also spelled `beta`).
            case beta = "b"
            /// `rc` (also spelled `c`, `pre`, `preview`).
            case releaseCandidate = "rc"

            private var rank: Int {
                switch self {
                case .alpha: 0
                case .beta: 1
                case .releaseCandidate: 2
                }
            }

            /// Alpha before beta before release candidate.
            public static func < (lhs: Kind, rhs: Kind) -> Bool { lhs.rank < rhs.rank }
        }

        /// The phase.
        public var kind: Kind
        /// The pre-release number (an omitted number is `0`).
        public var number: Int

        /// Creates a pre-release segment.
        public init(kind: Kind, number: Int) {
            self.kind = kind
            self.number = number
        }

        /// The normalized spelling, e.g. `rc1`.
        public var description: String { "\(kind.rawValue)\(number)" }

        /// By phase, then by number.
        public static func < (lhs: PreRelease, rhs: PreRelease) -> Bool {
            (lhs.kind, lhs.number) < (rhs.kind, rhs.number)
        }
    }

    /// One dot-separated part of a local version label (`+ubuntu.1` has `ubuntu` and `1`).
    public enum LocalSegment: Hashable, Sendable, CustomStringConvertible {
        /// An alphanumeric part, always lower-cased.
        case string(String)
        /// An all-digit part.
        case number(Int)

        /// The normalized spelling.
        public var description: String {
            switch self {
            case .string(let value): value
            case .number(let value): String(value)
            }
        }
    }

    /// The epoch (`N!`), `0` when absent.
    public let epoch: Int
    /// The release segment, e.g. `[1, 2, 0]` for `1.2.0`; never empty. Trailing zeros are kept.
    public let release: [Int]
    /// The pre-release segment, if any.
    public let pre: PreRelease?
    /// The post-release number, if any (`1.0.post2` has `2`, `1.0-1` has `1`).
    public let post: Int?
    /// The development release number, if any.
    public let dev: Int?
    /// The local version label, if any.
    public let local: [LocalSegment]?

    /// Creates a version from its parts.
    ///
    /// - Precondition: `release` is not empty and no number is negative.
    public init(
        epoch: Int = 0,
        release: [Int],
        pre: PreRelease? = nil,
        post: Int? = nil,
        dev: Int? = nil,
        local: [LocalSegment]? = nil
    ) {
        precondition(!release.isEmpty, "a version needs a release segment")
        precondition(epoch >= 0 && release.allSatisfy { $0 >= 0 }, "version numbers cannot be negative")
        precondition((pre?.number ?? 0) >= 0 && (post ?? 0) >= 0 && (dev ?? 0) >= 0, "version numbers cannot be negative")
        precondition(local.map { !$0.isEmpty } ?? true, "a local label needs at least one segment")
        self.epoch = epoch
        self.release = release
        self.pre = pre
        self.post = post
        self.dev = dev
        self.local = local
    }

    /// Whether this is a pre-release: it has a pre-release or a development segment.
    public var isPrerelease: Bool { pre != nil || dev != nil }
    /// Whether this is a development release (`.devN`).
    public var isDevelopmentRelease: Bool { dev != nil }
    /// Whether this is a post-release (`.postN`).
    public var isPostRelease: Bool { post != nil }

    /// This version without its local label: `1.0+ubuntu.1` → `1.0`.
    public var publicVersion: Version {
        Version(epoch: epoch, release: release, pre: pre, post: post, dev: dev)
    }

    /// The epoch and release only: `1!2.0rc1.post1.dev2+abc` → `1!2.0`.
    public var baseVersion: Version {
        Version(epoch: epoch, release: release)
    }

    /// The local label as normalized text (`ubuntu.1`), if any.
    public var localLabel: String? {
        local.map { $0.map(\.description).joined(separator: ".") }
    }
}

extension Version: CustomStringConvertible {
    /// The normalized form, e.g. `1.0rc1` or `1!2.0.post1.dev3+ubuntu.1`.
    public var description: String {
        var text = epoch == 0 ? "" : "\(epoch)!"
        text += release.map(String.init).joined(separator: ".")
        if let pre {
            text += pre.description
        }
        if let post {
            text += ".post\(post)"
        }
        if let dev {
            text += ".dev\(dev)"
        }
        if let localLabel {
            text += "+\(localLabel)"
        }
        return text
    }
}
