import Foundation

/// Builds `multipart/form-data` bodies the way twine's requests-toolbelt encoder does.
public struct MultipartBuilder {
    public let boundary: String
    public private(set) var body: [UInt8] = []

    public init(boundary: String = "wheelhouse-test-" + UUID().uuidString) {
        self.boundary = boundary
    }

    public var contentType: String { "multipart/form-data; boundary=\(boundary)" }

    public mutating func field(_ name: String, _ value: String) {
        body += Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n".utf8)
    }

    public mutating func file(_ name: String, filename: String, _ bytes: [UInt8]) {
        body += Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"; filename=\"\(filename)\"\r\nContent-Type: application/octet-stream\r\n\r\n".utf8)
        body += bytes
        body += Array("\r\n".utf8)
    }

    public mutating func close() {
        body += Array("--\(boundary)--\r\n".utf8)
    }

    /// A complete twine-like upload of one file.
    public static func upload(
        filename: String, bytes: [UInt8], name: String, version: String, filetype: String = "bdist_wheel",
        digests: [String: String] = [:], extra: [(String, String)] = []
    ) -> MultipartBuilder {
        var m = MultipartBuilder()
        m.field(":action", "file_upload")
        m.field("protocol_version", "1")
        m.field("name", name)
        m.field("version", version)
        m.field("filetype", filetype)
        m.field("pyversion", filetype == "sdist" ? "source" : "py3")
        m.field("metadata_version", "2.1")
        for (k, v) in digests.sorted(by: { $0.key < $1.key }) { m.field(k, v) }
        for (k, v) in extra { m.field(k, v) }
        m.file("content", filename: filename, bytes)
        m.close()
        return m
    }
}
