import NIOCore
import Testing

@testable import WheelhouseCore

/// `bytes((i * 7 + 3) % 251 for i in range(count))` in Python: a pattern with
/// no period that divides a block size, so misplaced block boundaries show.
private func pattern(_ count: Int) -> [UInt8] {
    (0..<count).map { UInt8(($0 * 7 + 3) % 251) }
}

private func blake2b256(_ bytes: [UInt8]) -> String {
    Hex.encode(bytes.withUnsafeBytes { BLAKE2b.hash($0, digestLength: 32) })
}

@Suite("BLAKE2b")
struct BLAKE2bTests {
    @Test("RFC 7693 appendix A: BLAKE2b-512 of \"abc\"")
    func rfcVector() {
        let digest = Array("abc".utf8).withUnsafeBytes { BLAKE2b.hash($0) }
        #expect(
            Hex.encode(digest)
                == "ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d1"
                + "7d87c5392aab792dc252d5de4533cc9518d38aa8dbf1925ab92386edd4009923")
    }

    /// Expected values from `hashlib.blake2b(data, digest_size=32).hexdigest()`, Python 3.11.
    @Test(
        "blake2b-256 agrees with Python's hashlib",
        arguments: [
            (0, "0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8"),
            (127, "7eb3d4fe699cedc52282a1c091627822fe7790ef178af8269c0261d367931246"),
            (128, "6afdad1409d770bce274b62a69123c97c86ffb40ce9708f3ff9ae4cbba8ba080"),
            (129, "69e98b10112e4b7ae396bfbddaee75cc5fe6a9dc1fffc2b11e7c0fc48de04ae5"),
            (256, "fabff1fa6173588d4cecdeade31b3237760d62664249e44f621deba4b94367ad"),
        ])
    func patternDigests(count: Int, expected: String) {
        #expect(blake2b256(pattern(count)) == expected)
        // Fed a byte at a time, the same.
        var hasher = BLAKE2b(digestLength: 32)
        for byte in pattern(count) {
            [byte].withUnsafeBytes { hasher.update($0) }
        }
        #expect(Hex.encode(hasher.finalize()) == expected)
    }

    @Test("blake2b-256 of short strings")
    func shortStrings() {
        #expect(blake2b256(Array("abc".utf8)) == "bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319")
        #expect(blake2b256(Array("a".utf8)) == "8928aae63c84d87ea098564d1e03ad813f107add474e56aedd286349c0c03ea4")
    }

    @Test("1 MiB fed in odd chunk sizes, through ByteBuffer and raw pointers")
    func mebibyteInChunks() {
        let expected = "6856218b770a694963373f539a34eaf6a3551c51c6fbc1c52a36a9f5e9dc6d11"
        let data = pattern(1 << 20)
        #expect(blake2b256(data) == expected)
        for sizes in [[1, 127, 128, 129, 255, 3], [4093], [65_537, 7], [128]] {
            var hasher = BLAKE2b(digestLength: 32)
            var offset = 0
            var turn = 0
            while offset < data.count {
                let end = min(data.count, offset + sizes[turn % sizes.count])
                if turn % 2 == 0 {
                    hasher.update(buffer: ByteBuffer(bytes: data[offset..<end]))
                } else {
                    data[offset..<end].withUnsafeBytes { hasher.update($0) }
                }
                offset = end
                turn += 1
            }
            #expect(Hex.encode(hasher.finalize()) == expected, "chunk sizes \(sizes)")
        }
    }

    @Test("finalize leaves the hasher usable, and empty updates change nothing")
    func finalizeIsNonMutating() {
        var hasher = BLAKE2b(digestLength: 32)
        Array("ab".utf8).withUnsafeBytes { hasher.update($0) }
        hasher.update(UnsafeRawBufferPointer(start: nil, count: 0))
        _ = hasher.finalize()
        Array("c".utf8).withUnsafeBytes { hasher.update($0) }
        #expect(Hex.encode(hasher.finalize()) == "bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319")
        #expect(hasher.finalize().count == 32)
    }
}

@Suite("DistributionDigests")
struct DistributionDigestsTests {
    @Test("sha256, blake2b-256 and md5 in one pass, as hashlib computes them")
    func accumulator() {
        let data = pattern(1 << 20)
        var accumulator = DigestAccumulator()
        var offset = 0
        var size = 1
        while offset < data.count {
            let end = min(data.count, offset + size)
            if size % 2 == 0 {
                accumulator.update(ByteBuffer(bytes: data[offset..<end]))
            } else {
                data[offset..<end].withUnsafeBytes { accumulator.update($0) }
            }
            offset = end
            size = size * 3 + 1
        }
        #expect(accumulator.byteCount == 1 << 20)
        #expect(
            accumulator.finalize()
                == DistributionDigests(
                    sha256: "1ac437f476c488acba4000af7ae89ef53f7ffbeef2e937850985f5ceb8b5ae6f",
                    blake2b256: "6856218b770a694963373f539a34eaf6a3551c51c6fbc1c52a36a9f5e9dc6d11",
                    md5: "bac259e6f14c8b831c02f85042e13805"
                ))
    }

    @Test("digests of nothing")
    func empty() {
        let accumulator = DigestAccumulator()
        #expect(accumulator.byteCount == 0)
        #expect(
            accumulator.finalize()
                == DistributionDigests(
                    sha256: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
                    blake2b256: "0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8",
                    md5: "d41d8cd98f00b204e9800998ecf8427e"
                ))
    }

    @Test("hex digests compare case-insensitively")
    func hexComparison() {
        let sha = "ab764db46a4b504f034619a51475e900366a04738693b13a742845930daf74e4"
        #expect(DigestComparison.hexMatches(sent: sha, actualHex: sha))
        #expect(DigestComparison.hexMatches(sent: sha.uppercased(), actualHex: sha))
        #expect(DigestComparison.hexMatches(sent: " \(sha)\n", actualHex: sha))
        #expect(!DigestComparison.hexMatches(sent: String(sha.dropLast()), actualHex: sha))
        #expect(!DigestComparison.hexMatches(sent: String(sha.dropLast()) + "5", actualHex: sha))
        #expect(!DigestComparison.hexMatches(sent: "", actualHex: ""))
    }

    /// md5 of `pattern(7)`: `hexdigest()`, `urlsafe_b64encode(digest()).rstrip(b"=")` and `b64encode(digest())`
    /// from Python; this digest's base64 has a character that differs between the alphabets.
    @Test(
        "md5 as hex or base64",
        arguments: [
            "cba0d4629465fa7ec898b1c04cb03904",
            "CBA0D4629465FA7EC898B1C04CB03904",
            "y6DUYpRl-n7ImLHATLA5BA",
            "y6DUYpRl-n7ImLHATLA5BA==",
            "y6DUYpRl+n7ImLHATLA5BA==",
            "y6DUYpRl+n7ImLHATLA5BA",
        ])
    func md5Accepted(sent: String) {
        var accumulator = DigestAccumulator()
        pattern(7).withUnsafeBytes { accumulator.update($0) }
        let actual = accumulator.finalize()
        #expect(actual.md5 == "cba0d4629465fa7ec898b1c04cb03904")
        #expect(DigestComparison.md5Matches(sent: sent, actualHex: actual.md5))
    }

    @Test(
        "md5 that does not match",
        arguments: [
            "",
            "cba0d4629465fa7ec898b1c04cb03905",
            "y6DUYpRl-n7ImLHATLA5BB",
            "y6DUYpRl-n7ImLHATLA5",
            "y6DUYpRl*n7ImLHATLA5BA",
            "usJZ5vFMi4McAvhQQuE4BQ",
            "cba0d4629465fa7ec898b1c04cb039",
        ])
    func md5Rejected(sent: String) {
        #expect(!DigestComparison.md5Matches(sent: sent, actualHex: "cba0d4629465fa7ec898b1c04cb03904"))
    }

    @Test("md5 of 1 MiB in url-safe base64, as Python encodes it")
    func md5Base64OfPattern() {
        #expect(DigestComparison.md5Matches(sent: "usJZ5vFMi4McAvhQQuE4BQ", actualHex: "bac259e6f14c8b831c02f85042e13805"))
        #expect(DigestComparison.md5Matches(sent: "usJZ5vFMi4McAvhQQuE4BQ==", actualHex: "bac259e6f14c8b831c02f85042e13805"))
    }

    @Test("hex encoding")
    func hex() {
        #expect(Hex.encode([UInt8]()) == "")
        #expect(Hex.encode([0x00, 0x0F, 0xA5, 0xFF]) == "000fa5ff")
        #expect(Hex.encode((0...255).map(UInt8.init)).count == 512)
        #expect(Hex.decode("000FA5ff") == [0x00, 0x0F, 0xA5, 0xFF])
        #expect(Hex.decode("0") == nil)
        #expect(Hex.decode("zz") == nil)
    }
}
