/// A minimal streaming tar reader: ustar and old-style headers, GNU long names (`././@LongLink`
/// `L` entries), and pax extended headers (`x`, with `path=` and `size=`). Contents are skipped
/// without being buffered unless asked for.
struct TarReader<Stream: ArchiveByteStream> {
    /// One archive member.
    struct Entry {
        /// The member's path as stored.
        var path: String
        /// The type flag: `0` (or NUL) and `7` are regular files, `5` a directory, ….
        var type: UInt8
        /// The size of the member's data in bytes.
        var size: Int

        var isRegularFile: Bool {
            type == UInt8(ascii: "0") || type == 0 || type == UInt8(ascii: "7")
        }

        /// Whether data blocks follow the header (as Python's tarfile decides).
        var hasData: Bool {
            !(UInt8(ascii: "1")...UInt8(ascii: "6")).contains(type)
        }
    }

    static var blockSize: Int { 512 }
    /// The largest pax or GNU long-name header accepted.
    static var maximumExtendedHeaderSize: Int { 1 << 20 }
    /// The largest member size accepted (1 TiB): far above any real sdist, and far enough below
    /// `Int.max` that rounding a size up to whole blocks can never overflow.
    static var maximumMemberSize: Int { 1 << 40 }

    private(set) var stream: Stream
    /// Bytes of the current entry's data (plus padding) not yet consumed.
    private var pending = 0

    init(stream: Stream) {
        self.stream = stream
    }

    /// The next file-system entry, or `nil` at the end of the archive. Skips whatever of the
    /// previous entry's data was not read.
    mutating func next() throws -> Entry? {
        try skipPending()
        var longName: String?
        var paxPath: String?
        var paxSize: Int?
        while true {
            let header = try stream.read(upTo: Self.blockSize)
            if header.isEmpty {
                return nil  // no end-of-archive blocks; tolerated like Python's tarfile
            }
            guard header.count == Self.blockSize else {
                throw ArchiveFormatError(reason: "the tar data ends in the middle of a header")
            }
            if header.allSatisfy({ $0 == 0 }) {
                return nil
            }
            guard Self.checksumMatches(header) else {
                throw ArchiveFormatError(reason: "a tar header checksum does not match")
            }
            guard let size = Self.number(header[124..<136]), size <= Self.maximumMemberSize else {
                throw ArchiveFormatError(reason: "a tar header has an invalid size")
            }
            let type = header[156]
            switch type {
            case UInt8(ascii: "L"):
                longName = Self.string(Self.untilNUL(try readExtendedHeader(size: size)))
            case UInt8(ascii: "x"):
                let records = Self.paxRecords(try readExtendedHeader(size: size))
                paxPath = records["path"] ?? paxPath
                if let value = records["size"] {
                    guard let parsed = Int(value), parsed >= 0, parsed <= Self.maximumMemberSize else {
                        throw ArchiveFormatError(reason: "a pax header has an invalid size")
                    }
                    paxSize = parsed
                }
            case UInt8(ascii: "K"), UInt8(ascii: "g"):
                try skipData(size: size)
            default:
                let entry = Entry(path: paxPath ?? longName ?? Self.headerPath(header), type: type, size: paxSize ?? size)
                pending = entry.hasData ? Self.padded(entry.size) : 0
                return entry
            }
        }
    }

    /// Reads the data of the entry `next()` just returned.
    mutating func readData(of entry: Entry) throws -> [UInt8] {
        let data = try stream.read(upTo: entry.size)
        guard data.count == entry.size else {
            throw ArchiveFormatError(reason: "the tar data ends in the middle of '\(entry.path)'")
        }
        pending -= data.count
        try skipPending()
        return data
    }

    private mutating func skipPending() throws {
        let count = pending
        pending = 0
        try skipData(exactly: count)
    }

    private mutating func skipData(size: Int) throws {
        try skipData(exactly: Self.padded(size))
    }

    private mutating func skipData(exactly count: Int) throws {
        guard try stream.skip(count) == count else {
            throw ArchiveFormatError(reason: "the tar data ends in the middle of a member")
        }
    }

    private mutating func readExtendedHeader(size: Int) throws -> [UInt8] {
        guard size <= Self.maximumExtendedHeaderSize else {
            throw ArchiveFormatError(reason: "an extended tar header is larger than \(Self.maximumExtendedHeaderSize) bytes")
        }
        let data = try stream.read(upTo: size)
        guard data.count == size else {
            throw ArchiveFormatError(reason: "the tar data ends in the middle of an extended header")
        }
        try skipData(exactly: Self.padded(size) - size)
        return data
    }

    // MARK: Header fields

    /// `size` rounded up to whole blocks; callers pass sizes checked against ``maximumMemberSize``.
    private static func padded(_ size: Int) -> Int {
        (size + blockSize - 1) / blockSize * blockSize
    }

    /// The checksum is the sum of the header bytes with the checksum field read as spaces
    /// (unsigned, or signed as some old tars computed it).
    private static func checksumMatches(_ header: [UInt8]) -> Bool {
        guard let stored = number(header[148..<156]) else { return false }
        var unsigned = 0
        var signed = 0
        for (index, byte) in header.enumerated() {
            let value = (148..<156).contains(index) ? 0x20 : byte
            unsigned += Int(value)
            signed += Int(Int8(bitPattern: value))
        }
        return stored == unsigned || stored == signed
    }

    /// An octal number field (NUL- or space-terminated), or a GNU base-256 number.
    private static func number(_ field: ArraySlice<UInt8>) -> Int? {
        guard let first = field.first else { return nil }
        if first & 0x80 != 0 {
            guard first == 0x80 else { return nil }  // negative numbers are not sizes
            var value = 0
            for byte in field.dropFirst() {
                guard value < Int.max >> 8 else { return nil }
                value = value << 8 | Int(byte)
            }
            return value
        }
        let digits = field.drop { $0 == UInt8(ascii: " ") || $0 == 0 }.prefix { $0 != 0 && $0 != UInt8(ascii: " ") }
        guard !digits.isEmpty else { return 0 }
        var value = 0
        for byte in digits {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "7"), value < Int.max >> 3 else { return nil }
            value = value << 3 | Int(byte - UInt8(ascii: "0"))
        }
        return value
    }

    private static func headerPath(_ header: [UInt8]) -> String {
        let name = untilNUL(header[0..<100])
        // POSIX ustar keeps a path prefix at 345; GNU tar ("ustar  ") uses those bytes for other fields.
        let isPosix = header[257..<263].elementsEqual(Array("ustar\0".utf8))
        let prefix = isPosix ? untilNUL(header[345..<500]) : []
        return string(prefix.isEmpty ? name : prefix + [UInt8(ascii: "/")] + name)
    }

    private static func untilNUL(_ bytes: some Collection<UInt8>) -> [UInt8] {
        Array(bytes.prefix { $0 != 0 })
    }

    private static func string(_ bytes: [UInt8]) -> String {
        PythonText.utf8OrLatin1(bytes)
    }

    /// `"%d %s=%s\n"` records.
    private static func paxRecords(_ data: [UInt8]) -> [String: String] {
        var records: [String: String] = [:]
        var index = 0
        while index < data.count {
            // The length is the attacker's: compare by subtraction (`index + length` can overflow).
            guard let space = data[index...].firstIndex(of: UInt8(ascii: " ")),
                  let length = Int(String(decoding: data[index..<space], as: UTF8.self)),
                  length > space - index, length <= data.count - index
            else { break }
            let record = data[(space + 1)..<(index + length)]
            if let equals = record.firstIndex(of: UInt8(ascii: "=")) {
                let key = String(decoding: record[..<equals], as: UTF8.self)
                var value = Array(record[(equals + 1)...])
                if value.last == UInt8(ascii: "\n") {
                    value.removeLast()
                }
                records[key] = string(value)
            }
            index += length
        }
        return records
    }
}
