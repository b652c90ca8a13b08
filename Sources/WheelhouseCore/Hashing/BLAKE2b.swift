import NIOCore

/// BLAKE2b (RFC 7693), unkeyed, with a digest length of 1 to 64 bytes.
///
/// Twine sends `blake2_256_digest`, Python's `hashlib.blake2b(digest_size=32)`,
/// with every upload, and swift-crypto has no BLAKE2. Note that BLAKE2b-256 is
/// not BLAKE2b-512 truncated: the digest length is part of the parameter block.
///
/// ```swift
/// var hasher = BLAKE2b(digestLength: 32)
/// hasher.update(buffer: chunk)
/// let digest = hasher.finalize()  // 32 bytes
/// ```
///
/// The compression function is unrolled and works on stored tuples, so hashing
/// allocates nothing per block: it runs on every byte of every upload.
public struct BLAKE2b: Sendable {
    /// The size of a BLAKE2b block in bytes.
    public static let blockSize = 128

    /// The number of bytes ``finalize()`` returns.
    public let digestLength: Int

    typealias Words8 = (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64)
    typealias Words16 = (
        UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
        UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64
    )

    static let iv: Words8 = (
        0x6A09_E667_F3BC_C908, 0xBB67_AE85_84CA_A73B, 0x3C6E_F372_FE94_F82B, 0xA54F_F53A_5F1D_36F1,
        0x510E_527F_ADE6_82D1, 0x9B05_688C_2B3E_6C1F, 0x1F83_D9AB_FB41_BD6B, 0x5BE0_CD19_137E_2179
    )

    /// The chaining value.
    var state: Words8
    /// Bytes compressed so far, as a 128-bit counter (low, high).
    var counter: (UInt64, UInt64) = (0, 0)
    /// Input not yet compressed. The last block must be compressed with the
    /// final flag, so a full block stays here until more input proves it is not last.
    var buffer: Words16 = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    var bufferCount = 0

    /// Creates a hasher.
    ///
    /// - Parameter digestLength: The digest size in bytes, 1 to 64; 32 for
    ///   `blake2b-256`, 64 (the default) for BLAKE2b-512.
    public init(digestLength: Int = 64) {
        precondition((1...64).contains(digestLength), "BLAKE2b digest length must be 1...64 bytes")
        self.digestLength = digestLength
        self.state = Self.iv
        // Parameter block word 0: digest length, key length 0, fanout 1, depth 1.
        self.state.0 ^= 0x0101_0000 ^ UInt64(digestLength)
    }

    /// Hashes `bytes` in one call.
    public static func hash(_ bytes: UnsafeRawBufferPointer, digestLength: Int = 64) -> [UInt8] {
        var hasher = BLAKE2b(digestLength: digestLength)
        hasher.update(bytes)
        return hasher.finalize()
    }

    /// Adds the readable bytes of `buffer` to the hash, without moving its reader index.
    public mutating func update(buffer: ByteBuffer) {
        buffer.withUnsafeReadableBytes { self.update($0) }
    }

    /// Adds `bytes` to the hash.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard var input = bytes.baseAddress, bytes.count > 0 else { return }
        var remaining = bytes.count

        if self.bufferCount > 0 {
            let fill = Self.blockSize - self.bufferCount
            guard remaining > fill else {
                self.appendToBuffer(input, count: remaining)
                return
            }
            self.appendToBuffer(input, count: fill)
            input += fill
            remaining -= fill
            var block = self.buffer
            withUnsafeBytes(of: &block) { self.compress($0.baseAddress!, isLast: false) }
            self.bufferCount = 0
        }
        // Blocks straight from the input; keep at least one byte back for the final block.
        while remaining > Self.blockSize {
            self.compress(input, isLast: false)
            input += Self.blockSize
            remaining -= Self.blockSize
        }
        self.appendToBuffer(input, count: remaining)
    }

    /// The digest of everything added so far; the hasher itself is unchanged.
    public func finalize() -> [UInt8] {
        var copy = self
        var block = copy.buffer
        withUnsafeMutableBytes(of: &block) { bytes in
            // Zero padding; the counter covers only the real bytes.
            bytes.baseAddress!.advanced(by: copy.bufferCount).initializeMemory(
                as: UInt8.self, repeating: 0, count: Self.blockSize - copy.bufferCount)
            copy.compress(UnsafeRawPointer(bytes.baseAddress!), isLast: true, byteCount: copy.bufferCount)
        }
        var output = copy.state
        output.0 = output.0.littleEndian
        output.1 = output.1.littleEndian
        output.2 = output.2.littleEndian
        output.3 = output.3.littleEndian
        output.4 = output.4.littleEndian
        output.5 = output.5.littleEndian
        output.6 = output.6.littleEndian
        output.7 = output.7.littleEndian
        return withUnsafeBytes(of: &output) { Array($0.prefix(self.digestLength)) }
    }

    private mutating func appendToBuffer(_ bytes: UnsafeRawPointer, count: Int) {
        let offset = self.bufferCount
        withUnsafeMutableBytes(of: &self.buffer) { buffer in
            buffer.baseAddress!.advanced(by: offset).copyMemory(from: bytes, byteCount: count)
        }
        self.bufferCount += count
    }
}

// The compression function F of RFC 7693, section 3.2, fully unrolled.
extension BLAKE2b {
    /// Compresses one 128-byte block at `block` (any alignment) into the state.
    ///
    /// - Parameters:
    ///   - isLast: Whether this is the final block (sets the finalization flag).
    ///   - byteCount: How many bytes of the block are input, for the counter.
    // Out of line: the unrolled body is large, and inlining it at its three
    // call sites measured no faster.
    @inline(never)
    mutating func compress(_ block: UnsafeRawPointer, isLast: Bool, byteCount: Int = BLAKE2b.blockSize) {
        self.counter.0 &+= UInt64(byteCount)
        if self.counter.0 < UInt64(byteCount) {
            self.counter.1 &+= 1
        }

        let m0 = UInt64(littleEndian: block.loadUnaligned(fromByteOffset: 0, as: UInt64.self))
        let m1 = UInt64(littleEndian: block.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
        let m2 = UInt64(littleEndian: block.loadUnaligned(fromByteOffset: 16, as: UInt64.self))
        let m3 = UInt64(littleEndian: block.loadUnaligned(fromByteOffset: 24, as: UInt64.self))
        let m4 = UInt64(littleEndian: block.loadUnaligned(fromByteOffset: 32, as: UInt64.self))
        let m5 = UInt64(littleEndian: block.loadUnaligned(fromByteOffset: 40, as: UInt64.self))
        let m6 = UInt64(littleEndian: block.loadUnaligned(fromByteOffset: 48, as: UInt64.self))
        let m7 = UInt64(littleEndian: block.loadUnaligned(fromByteOffset: 56, as: UInt64.self))
        let m8 = UInt64(littleEndian: block.loadUnaligned(fromByteOffset: 64, as: UInt64.self))
        let m9 = UInt64(littleEndian: block.loadUnaligned(fromByteOffset: 72, as: UInt64.self))
        let m10 = UInt64(littleEndian: block.loadUnaligned(fromByteOffset: 80, as: UInt64.self))
        let m11 = UInt64(littleEndian: block.loadUnaligned(fromByteOffset: 88, as: UInt64.self))
        let m12 = UInt64(littleEndian: block.loadUnaligned(fromByteOffset: 96, as: UInt64.self))
        let m13 = UInt64(littleEndian: block.loadUnaligned(fromByteOffset: 104, as: UInt64.self))
        let m14 = UInt64(littleEndian: block.loadUnaligned(fromByteOffset: 112, as: UInt64.self))
        let m15 = UInt64(littleEndian: block.loadUnaligned(fromByteOffset: 120, as: UInt64.self))

        var v0 = self.state.0, v1 = self.state.1, v2 = self.state.2, v3 = self.state.3
        var v4 = self.state.4, v5 = self.state.5, v6 = self.state.6, v7 = self.state.7
        var v8 = Self.iv.0, v9 = Self.iv.1, v10 = Self.iv.2, v11 = Self.iv.3
        var v12 = Self.iv.4 ^ self.counter.0, v13 = Self.iv.5 ^ self.counter.1
        var v14 = isLast ? ~Self.iv.6 : Self.iv.6, v15 = Self.iv.7

        // Round 0
        g(&v0, &v4, &v8, &v12, m0, m1)
        g(&v1, &v5, &v9, &v13, m2, m3)
        g(&v2, &v6, &v10, &v14, m4, m5)
        g(&v3, &v7, &v11, &v15, m6, m7)
        g(&v0, &v5, &v10, &v15, m8, m9)
        g(&v1, &v6, &v11, &v12, m10, m11)
        g(&v2, &v7, &v8, &v13, m12, m13)
        g(&v3, &v4, &v9, &v14, m14, m15)
        // Round 1
        g(&v0, &v4, &v8, &v12, m14, m10)
        g(&v1, &v5, &v9, &v13, m4, m8)
        g(&v2, &v6, &v10, &v14, m9, m15)
        g(&v3, &v7, &v11, &v15, m13, m6)
        g(&v0, &v5, &v10, &v15, m1, m12)
        g(&v1, &v6, &v11, &v12, m0, m2)
        g(&v2, &v7, &v8, &v13, m11, m7)
        g(&v3, &v4, &v9, &v14, m5, m3)
        // Round 2
        g(&v0, &v4, &v8, &v12, m11, m8)
        g(&v1, &v5, &v9, &v13, m12, m0)
        g(&v2, &v6, &v10, &v14, m5, m2)
        g(&v3, &v7, &v11, &v15, m15, m13)
        g(&v0, &v5, &v10, &v15, m10, m14)
        g(&v1, &v6, &v11, &v12, m3, m6)
        g(&v2, &v7, &v8, &v13, m7, m1)
        g(&v3, &v4, &v9, &v14, m9, m4)
        // Round 3
        g(&v0, &v4, &v8, &v12, m7, m9)
        g(&v1, &v5, &v9, &v13, m3, m1)
        g(&v2, &v6, &v10, &v14, m13, m12)
        g(&v3, &v7, &v11, &v15, m11, m14)
        g(&v0, &v5, &v10, &v15, m2, m6)
        g(&v1, &v6, &v11, &v12, m5, m10)
        g(&v2, &v7, &v8, &v13, m4, m0)
        g(&v3, &v4, &v9, &v14, m15, m8)
        // Round 4
        g(&v0, &v4, &v8, &v12, m9, m0)
        g(&v1, &v5, &v9, &v13, m5, m7)
        g(&v2, &v6, &v10, &v14, m2, m4)
        g(&v3, &v7, &v11, &v15, m10, m15)
        g(&v0, &v5, &v10, &v15, m14, m1)
        g(&v1, &v6, &v11, &v12, m11, m12)
        g(&v2, &v7, &v8, &v13, m6, m8)
        g(&v3, &v4, &v9, &v14, m3, m13)
        // Round 5
        g(&v0, &v4, &v8, &v12, m2, m12)
        g(&v1, &v5, &v9, &v13, m6, m10)
        g(&v2, &v6, &v10, &v14, m0, m11)
        g(&v3, &v7, &v11, &v15, m8, m3)
        g(&v0, &v5, &v10, &v15, m4, m13)
        g(&v1, &v6, &v11, &v12, m7, m5)
        g(&v2, &v7, &v8, &v13, m15, m14)
        g(&v3, &v4, &v9, &v14, m1, m9)
        // Round 6
        g(&v0, &v4, &v8, &v12, m12, m5)
        g(&v1, &v5, &v9, &v13, m1, m15)
        g(&v2, &v6, &v10, &v14, m14, m13)
        g(&v3, &v7, &v11, &v15, m4, m10)
        g(&v0, &v5, &v10, &v15, m0, m7)
        g(&v1, &v6, &v11, &v12, m6, m3)
        g(&v2, &v7, &v8, &v13, m9, m2)
        g(&v3, &v4, &v9, &v14, m8, m11)
        // Round 7
        g(&v0, &v4, &v8, &v12, m13, m11)
        g(&v1, &v5, &v9, &v13, m7, m14)
        g(&v2, &v6, &v10, &v14, m12, m1)
        g(&v3, &v7, &v11, &v15, m3, m9)
        g(&v0, &v5, &v10, &v15, m5, m0)
        g(&v1, &v6, &v11, &v12, m15, m4)
        g(&v2, &v7, &v8, &v13, m8, m6)
        g(&v3, &v4, &v9, &v14, m2, m10)
        // Round 8
        g(&v0, &v4, &v8, &v12, m6, m15)
        g(&v1, &v5, &v9, &v13, m14, m9)
        g(&v2, &v6, &v10, &v14, m11, m3)
        g(&v3, &v7, &v11, &v15, m0, m8)
        g(&v0, &v5, &v10, &v15, m12, m2)
        g(&v1, &v6, &v11, &v12, m13, m7)
        g(&v2, &v7, &v8, &v13, m1, m4)
        g(&v3, &v4, &v9, &v14, m10, m5)
        // Round 9
        g(&v0, &v4, &v8, &v12, m10, m2)
        g(&v1, &v5, &v9, &v13, m8, m4)
        g(&v2, &v6, &v10, &v14, m7, m6)
        g(&v3, &v7, &v11, &v15, m1, m5)
        g(&v0, &v5, &v10, &v15, m15, m11)
        g(&v1, &v6, &v11, &v12, m9, m14)
        g(&v2, &v7, &v8, &v13, m3, m12)
        g(&v3, &v4, &v9, &v14, m13, m0)
        // Round 10
        g(&v0, &v4, &v8, &v12, m0, m1)
        g(&v1, &v5, &v9, &v13, m2, m3)
        g(&v2, &v6, &v10, &v14, m4, m5)
        g(&v3, &v7, &v11, &v15, m6, m7)
        g(&v0, &v5, &v10, &v15, m8, m9)
        g(&v1, &v6, &v11, &v12, m10, m11)
        g(&v2, &v7, &v8, &v13, m12, m13)
        g(&v3, &v4, &v9, &v14, m14, m15)
        // Round 11
        g(&v0, &v4, &v8, &v12, m14, m10)
        g(&v1, &v5, &v9, &v13, m4, m8)
        g(&v2, &v6, &v10, &v14, m9, m15)
        g(&v3, &v7, &v11, &v15, m13, m6)
        g(&v0, &v5, &v10, &v15, m1, m12)
        g(&v1, &v6, &v11, &v12, m0, m2)
        g(&v2, &v7, &v8, &v13, m11, m7)
        g(&v3, &v4, &v9, &v14, m5, m3)

        self.state.0 ^= v0 ^ v8
        self.state.1 ^= v1 ^ v9
        self.state.2 ^= v2 ^ v10
        self.state.3 ^= v3 ^ v11
        self.state.4 ^= v4 ^ v12
        self.state.5 ^= v5 ^ v13
        self.state.6 ^= v6 ^ v14
        self.state.7 ^= v7 ^ v15
    }
}

/// The mixing function G (RFC 7693, section 3.1).
@inline(__always)
private func g(
    _ a: inout UInt64, _ b: inout UInt64, _ c: inout UInt64, _ d: inout UInt64,
    _ x: UInt64, _ y: UInt64
) {
    a = a &+ b &+ x
    d = rotateRight(d ^ a, 32)
    c = c &+ d
    b = rotateRight(b ^ c, 24)
    a = a &+ b &+ y
    d = rotateRight(d ^ a, 16)
    c = c &+ d
    b = rotateRight(b ^ c, 63)
}

@inline(__always)
private func rotateRight(_ value: UInt64, _ count: UInt64) -> UInt64 {
    (value &>> count) | (value &<< (64 &- count))
}
