import Foundation
import Testing

/// Builds real distribution archives in a temporary directory with Python's `zipfile` and
/// `tarfile`, so the Swift readers are checked against archives made by another implementation.
final class ArchiveFixtures {
    let directory: URL

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("pythonpackaging-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(at: directory)
    }

    func path(_ name: String) -> String {
        directory.appendingPathComponent(name).path
    }

    /// Writes `bytes` to a file in the fixture directory and returns its path.
    @discardableResult
    func write(_ name: String, _ bytes: [UInt8]) throws -> String {
        let url = directory.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(bytes).write(to: url)
        return url.path
    }

    /// A zip file at `name` holding `members` (archive path → content), deflated.
    func zip(_ name: String, _ members: [(String, [UInt8])]) throws -> String {
        let script = """
            import sys, zipfile
            with zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED) as archive:
                for pair in sys.argv[2:]:
                    member, source = pair.split("=", 1)
                    archive.write(source, member)
            """
        return try build(name, script: script, prefix: [], members)
    }

    /// A tar file at `name` holding `members`, in `format` (`gnu`, `pax`, `ustar`), compressed by
    /// `compression`: `none`, `gz`, `gz-two-members` (two concatenated gzip members) or
    /// `gz-truncated` (the gzip data cut in half).
    func tar(_ name: String, format: String = "gnu", compression: String = "gz", _ members: [(String, [UInt8])]) throws -> String {
        let script = """
            import gzip, io, sys, tarfile
            formats = {"gnu": tarfile.GNU_FORMAT, "pax": tarfile.PAX_FORMAT, "ustar": tarfile.USTAR_FORMAT}
            buffer = io.BytesIO()
            with tarfile.open(fileobj=buffer, mode="w", format=formats[sys.argv[1]]) as archive:
                for pair in sys.argv[4:]:
                    member, source = pair.split("=", 1)
                    archive.add(source, arcname=member, recursive=False)
            data = buffer.getvalue()
            compression = sys.argv[2]
            if compression == "gz":
                data = gzip.compress(data)
            elif compression == "gz-two-members":
                middle = len(data) // 2 + 7
                data = gzip.compress(data[:middle]) + gzip.compress(data[middle:])
            elif compression == "gz-truncated":
                data = gzip.compress(data)
                data = data[: len(data) // 2]
            with open(sys.argv[3], "wb") as output:
                output.write(data)
            """
        return try build(name, script: script, prefix: [format, compression], members)
    }

    /// Runs a Python script that writes the file `name` (its path is the script's `sys.argv[1]`).
    func python(_ name: String, _ script: String) throws -> String {
        let output = path(name)
        try Self.runPython(script, [output])
        return output
    }

    private func build(_ name: String, script: String, prefix: [String], _ members: [(String, [UInt8])]) throws -> String {
        let sources = directory.appendingPathComponent("sources-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: sources, withIntermediateDirectories: true)
        var arguments: [String] = []
        for (index, (member, content)) in members.enumerated() {
            let source = sources.appendingPathComponent("\(index)")
            try Data(content).write(to: source)
            arguments.append("\(member)=\(source.path)")
        }
        let output = path(name)
        try FileManager.default.createDirectory(
            at: URL(fileURLWithPath: output).deletingLastPathComponent(), withIntermediateDirectories: true
        )
        try Self.runPython(script, prefix + [output] + arguments)
        return output
    }

    private static func runPython(_ script: String, _ arguments: [String]) throws {
        let process = Process()
        if FileManager.default.isExecutableFile(atPath: "/usr/bin/python3") {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
            process.arguments = ["-c", script] + arguments
        } else {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["python3", "-c", script] + arguments
        }
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw FixtureError(message: "python3 exited with status \(process.terminationStatus)")
        }
    }

    struct FixtureError: Error, CustomStringConvertible {
        let message: String
        var description: String { message }
    }

    /// Deterministic incompressible bytes, so archives span several 64 KiB read chunks.
    static func noise(count: Int, seed: UInt64 = 0x9E37_79B9_7F4A_7C15) -> [UInt8] {
        var state = seed
        return (0..<count).map { _ in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return UInt8(truncatingIfNeeded: state >> 33)
        }
    }
}
