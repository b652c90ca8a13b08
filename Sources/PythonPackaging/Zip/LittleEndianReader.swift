/// Reads little-endian integers from a record, each read checked against the record's end.
struct LittleEndianReader {
    private let bytes: [UInt8]
    private(set) var position: Int

    init(_ bytes: [UInt8], at position: Int = 0) {
        self.bytes = bytes
        self.position = position
    }

    var remaining: Int { bytes.count - position }

    mutating func skip(_ count: Int) throws {
        guard count >= 0, count <= remaining else { throw Self.truncated }
        position += count
    }

    mutating func uint16() throws -> UInt16 {
        UInt16(truncatingIfNeeded: try integer(2))
    }

    mutating func uint32() throws -> UInt32 {
        UInt32(truncatingIfNeeded: try integer(4))
    }

    mutating func uint64() throws -> UInt64 {
        try integer(8)
    }

    mutating func bytes(_ count: Int) throws -> ArraySlice<UInt8> {
        guard count >= 0, count <= remaining else { throw Self.truncated }
        defer { position += count }
        return bytes[position..<(position + count)]
    }

    private mutating func integer(_ width: Int) throws -> UInt64 {
        guard width <= remaining else { throw Self.truncated }
        var value: UInt64 = 0
        for index in (position..<(position + width)).reversed() {
            value = value << 8 | UInt64(bytes[index])
        }
        position += width
        return value
    }

    private static var truncated: ArchiveFormatError {
        ArchiveFormatError(reason: "a zip record is truncated")
    }
}
