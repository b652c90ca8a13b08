import Foundation
import ZIPFoundation

/// Builds real, minimal wheels and sdists on disk for tests.
public enum WheelBuilder {
    /// The METADATA text of a small distribution.
    public static func metadata(name: String, version: String, requiresPython: String? = nil, requiresDist: [String] = [], summary: String = "A test package") -> String {
        var lines = ["Metadata-Version: 2.1", "Name: \(name)", "Version: \(version)", "Summary: \(summary)"]
        if let requiresPython { lines.append("Requires-Python: \(requiresPython)") }
        for r in requiresDist { lines.append("Requires-Dist: \(r)") }
        return lines.joined(separator: "\n") + "\n\nLong description.\n"
    }

    /// Writes `{escaped name}-{version}-py3-none-any.whl` into `directory` and returns its path.
    /// - Parameter metadata: the METADATA file's text, or nil for a wheel without one.
    @discardableResult
    public static func wheel(name: String, version: String, in directory: String, metadata: String?? = .none, extraFile: (String, Int)? = nil) throws -> String {
        let escaped = name.replacingOccurrences(of: "-", with: "_").replacingOccurrences(of: ".", with: "_")
        let path = "\(directory)/\(escaped)-\(version)-py3-none-any.whl"
        try? FileManager.default.removeItem(atPath: path)
        let archive = try Archive(url: URL(fileURLWithPath: path), accessMode: .create)
        let distInfo = "\(escaped)-\(version).dist-info"
        let module = Data("VALUE = \(version.debugDescription)\n".utf8)
        try add(archive, "\(escaped)/__init__.py", module)
        let text: String? = switch metadata {
        case .none: Self.metadata(name: name, version: version)
        case .some(let m): m
        }
        if let text { try add(archive, "\(distInfo)/METADATA", Data(text.utf8)) }
        try add(archive, "\(distInfo)/WHEEL", Data("Wheel-Version: 1.0\nGenerator: wheelhouse-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n".utf8))
        if let (name, size) = extraFile { try add(archive, name, Data(count: size)) }
        return path
    }

    static func add(_ archive: Archive, _ entry: String, _ data: Data) throws {
        try archive.addEntry(with: entry, type: .file, uncompressedSize: Int64(data.count), compressionMethod: .deflate) { position, size in
            data.subdata(in: Int(position)..<Int(position) + size)
        }
    }

    /// The wheel's METADATA as the archive stores it.
    public static func metadataBytes(ofWheel path: String) throws -> [UInt8] {
        let archive = try Archive(url: URL(fileURLWithPath: path), accessMode: .read)
        guard let entry = archive.first(where: { $0.path.hasSuffix(".dist-info/METADATA") }) else { return [] }
        var out = Data()
        _ = try archive.extract(entry) { out.append($0) }
        return [UInt8](out)
    }

    public static func temporaryDirectory() throws -> String {
        let path = NSTemporaryDirectory() + "wheelhouse-test-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }
}
