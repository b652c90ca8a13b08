/// A small, fast pseudo-random generator (SplitMix64): the same seed replays the same run.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var value = state
        value = (value ^ (value >> 30)) &* 0xBF58_476D_1CE4_E5B9
        value = (value ^ (value >> 27)) &* 0x94D0_49BB_1331_11EB
        return value ^ (value >> 31)
    }
}

/// Mutates inputs the way archive and header parsers break: flipped bits, boundary integers in
/// little-endian at any offset, decimal numbers where text is expected, format signatures,
/// splices with other corpus members, truncations, insertions and duplications.
struct Mutator {
    /// The largest input produced, so that one execution stays in the milliseconds.
    static let maximumInputSize = 256 * 1024

    static let interestingBytes: [UInt8] = [0, 1, 0x20, 0x2D, 0x30, 0x37, 0x7F, 0x80, 0xFE, 0xFF]
    static let interestingIntegers: [UInt64] = [
        0, 1, 2, 0x7F, 0x80, 0xFF, 0x100, 0x7FFF, 0x8000, 0xFFFF, 0x1_0000, 0x7FFF_FFFF, 0x8000_0000,
        0xFFFF_FFFE, 0xFFFF_FFFF, 0x1_0000_0000, 1 << 40, 0x7FFF_FFFF_FFFF_FFFF, 0x8000_0000_0000_0000,
        0xFFFF_FFFF_FFFF_FFFE, 0xFFFF_FFFF_FFFF_FFFF,
    ]
    /// Byte strings the formats give meaning to: zip, tar and pax, gzip, multipart, metadata.
    static let tokens: [[UInt8]] = [
        [0x50, 0x4B, 0x03, 0x04], [0x50, 0x4B, 0x01, 0x02], [0x50, 0x4B, 0x05, 0x06], [0x50, 0x4B, 0x06, 0x06],
        [0x50, 0x4B, 0x06, 0x07], [0x50, 0x4B, 0x07, 0x08], [0x1F, 0x8B, 0x08, 0x00], [0x01, 0x00, 0x01, 0xFF, 0xFE],
        Array("ustar\0".utf8), Array(" size=".utf8), Array(" path=".utf8), Array("././@LongLink".utf8),
        Array("9223372036854775807".utf8), Array("18446744073709551615".utf8), Array("-1".utf8), Array("4294967296".utf8),
        Array("\r\n".utf8), Array("--".utf8), Array("\r\n\r\n".utf8), Array("\r\n--wheelhouse-fuzz-boundary".utf8),
        Array("Content-Disposition: form-data; name=\"".utf8), Array("; filename=\"".utf8),
        Array("\n ".utf8), Array(": ".utf8), Array("\nName: ".utf8), Array("\nVersion: ".utf8),
        Array("\nMetadata-Version: ".utf8), Array("\nDynamic: ".utf8), Array(".dist-info/".utf8), Array("PKG-INFO".utf8),
        Array("foo-1.0/".utf8), Array("\u{212A}".utf8), [0xC3], [0xED, 0xA0, 0x80],
    ]

    var random: SplitMix64

    /// `input` after one to eight mutations; `other` is another corpus member to splice from.
    mutating func mutate(_ input: [UInt8], other: [UInt8]) -> [UInt8] {
        var bytes = input
        let count = 1 << Int.random(in: 0...3, using: &random)
        for _ in 0..<Int.random(in: 1...count, using: &random) {
            mutateOnce(&bytes, other: other)
        }
        if bytes.count > Self.maximumInputSize {
            bytes.removeLast(bytes.count - Self.maximumInputSize)
        }
        return bytes
    }

    private mutating func mutateOnce(_ bytes: inout [UInt8], other: [UInt8]) {
        guard !bytes.isEmpty else {
            bytes = Array(other.prefix(Int.random(in: 0...other.count, using: &random)))
            return
        }
        let offset = Int.random(in: 0..<bytes.count, using: &random)
        switch Int.random(in: 0..<12, using: &random) {
        case 0:
            bytes[offset] ^= 1 << UInt8.random(in: 0..<8, using: &random)
        case 1:
            bytes[offset] = Self.interestingBytes.randomElement(using: &random)!
        case 2:
            bytes[offset] = UInt8.random(in: 0...255, using: &random)
        case 3, 4:
            // A boundary integer, little-endian, 2, 4 or 8 bytes wide (sometimes off by one).
            let width = [2, 4, 8].randomElement(using: &random)!
            var value = Self.interestingIntegers.randomElement(using: &random)!
            value = value &+ UInt64(bitPattern: Int64.random(in: -1...1, using: &random))
            for index in 0..<width where offset + index < bytes.count {
                bytes[offset + index] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(index)))
            }
        case 5:
            let token = Self.tokens.randomElement(using: &random)!
            if Bool.random(using: &random) {
                bytes.insert(contentsOf: token, at: offset)
            } else {
                bytes.replaceSubrange(offset..<min(bytes.count, offset + token.count), with: token)
            }
        case 6:
            let length = Int.random(in: 1...64, using: &random)
            let repeated = Bool.random(using: &random)
            let filler = UInt8.random(in: 0...255, using: &random)
            bytes.insert(contentsOf: (0..<length).map { _ in repeated ? filler : UInt8.random(in: 0...255, using: &random) }, at: offset)
        case 7:
            let length = Int.random(in: 1...max(1, min(512, bytes.count - offset)), using: &random)
            bytes.removeSubrange(offset..<min(bytes.count, offset + length))
        case 8:
            bytes.removeLast(Int.random(in: 1...bytes.count, using: &random))
        case 9:
            // Duplicate a range (records, headers) somewhere else.
            let length = Int.random(in: 1...min(4096, bytes.count - offset), using: &random)
            let copy = Array(bytes[offset..<(offset + length)])
            bytes.insert(contentsOf: copy, at: Int.random(in: 0...bytes.count, using: &random))
        case 10 where !other.isEmpty:
            // Splice: this input's head, the other's tail.
            let cut = Int.random(in: 0..<other.count, using: &random)
            bytes = Array(bytes[..<offset]) + other[cut...]
        default:
            guard !other.isEmpty else { return }
            let start = Int.random(in: 0..<other.count, using: &random)
            let chunk = other[start..<min(other.count, start + Int.random(in: 1...256, using: &random))]
            bytes.replaceSubrange(offset..<min(bytes.count, offset + chunk.count), with: chunk)
        }
    }
}
