extension Version: Hashable, Comparable {
    /// PEP 440 equality: `1.0 == 1.0.0`, `1.0+ABC == 1.0+abc`, `1.0alpha1 == 1.0a1`.
    public static func == (lhs: Version, rhs: Version) -> Bool {
        lhs.epoch == rhs.epoch
            && lhs.trimmedRelease == rhs.trimmedRelease
            && lhs.suffixKey == rhs.suffixKey
            && lhs.local == rhs.local
    }

    /// Hashes the same components `==` compares, so equal versions hash alike.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(epoch)
        hasher.combine(trimmedRelease)
        hasher.combine(suffixKey)
        hasher.combine(local)
    }

    /// PEP 440 ordering, as `packaging` implements it: by epoch, then release (ignoring trailing
    /// zeros), then `.devN` < `aN` < `bN` < `rcN` < final < `.postN` (with a `.devN` of any of these
    /// just before it), then no local label < local labels (compared segment by segment, strings
    /// before numbers).
    public static func < (lhs: Version, rhs: Version) -> Bool {
        if lhs.epoch != rhs.epoch {
            return lhs.epoch < rhs.epoch
        }
        let (leftRelease, rightRelease) = (lhs.trimmedRelease, rhs.trimmedRelease)
        if leftRelease != rightRelease {
            return leftRelease.lexicographicallyPrecedes(rightRelease)
        }
        let (leftSuffix, rightSuffix) = (lhs.suffixKey, rhs.suffixKey)
        if leftSuffix != rightSuffix {
            return leftSuffix.lexicographicallyPrecedes(rightSuffix)
        }
        switch (lhs.local, rhs.local) {
        case (nil, nil), (_, nil):
            return false
        case (nil, _):
            return true
        case (let left?, let right?):
            return left.lexicographicallyPrecedes(right, by: LocalSegment.precedes)
        }
    }

    /// The release without trailing zeros (all of them: `0.0` becomes `[]`), as `packaging` compares it.
    var trimmedRelease: ArraySlice<Int> {
        var end = release.count
        while end > 0 && release[end - 1] == 0 {
            end -= 1
        }
        return release[..<end]
    }

    /// `(pre rank, pre number, post rank, post number, dev rank, dev number)` from `packaging`'s `_cmpkey`.
    private var suffixKey: [Int] {
        let preRank: Int
        let preNumber: Int
        if let pre {
            preRank = pre.kind == .alpha ? 0 : pre.kind == .beta ? 1 : 2
            preNumber = pre.number
        } else if post == nil && dev != nil {
            // A bare development release sorts before every pre-release of the same release.
            (preRank, preNumber) = (-1, 0)
        } else {
            (preRank, preNumber) = (3, 0)
        }
        return [
            preRank, preNumber,
            post == nil ? 0 : 1, post ?? 0,
            dev == nil ? 1 : 0, dev ?? 0,
        ]
    }
}

extension Version.LocalSegment {
    /// PEP 440 local ordering: strings before numbers, strings by code point, numbers numerically.
    static func precedes(_ lhs: Version.LocalSegment, _ rhs: Version.LocalSegment) -> Bool {
        switch (lhs, rhs) {
        case (.string(let left), .string(let right)):
            PythonText.codePointLess(left, right)
        case (.number(let left), .number(let right)):
            left < right
        case (.string, .number):
            true
        case (.number, .string):
            false
        }
    }
}
