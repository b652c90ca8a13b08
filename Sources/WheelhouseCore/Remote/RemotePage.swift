import Foundation
import PythonPackaging

/// How a remote repository presents an upstream page: file URLs rewritten to Wheelhouse, every
/// upstream attribute kept, and what Wheelhouse learned from cached files added (hashes for files
/// the upstream listed without sha256, core metadata extracted from cached wheels).
public enum RemotePage {
    /// The path segment used in place of a sha256 for files the upstream lists without one.
    public static let unknownHash = "-"

    public static func render(upstream: ProjectPage, cached: [DistributionRecord]) -> ProjectPage {
        let byFilename = Dictionary(cached.map { ($0.filename, $0) }, uniquingKeysWith: { a, _ in a })
        var files: [IndexFile] = []
        files.reserveCapacity(upstream.files.count)
        for var file in upstream.files {
            let row = byFilename[file.filename]
            if file.hashes["sha256"] == nil, let row { file.hashes["sha256"] = row.sha256 }
            if file.coreMetadata == nil, let sha = row?.metadataSHA256 { file.coreMetadata = ["sha256": sha] }
            if file.size == nil, let row { file.size = row.size }
            file.url = ProjectPageBuilder.fileURL(sha256: file.hashes["sha256"] ?? unknownHash, filename: file.filename)
            files.append(file)
        }
        var page = upstream
        page.files = files
        page.versions = page.versions.isEmpty
            ? versions(of: files, project: ProjectName.normalize(upstream.name))
            : sorted(page.versions)
        return page
    }

    /// PEP 700 `versions` for upstreams that don't send them (HTML pages): from the filenames, PEP 440-sorted.
    static func versions(of files: [IndexFile], project: String) -> [String] {
        var seen = Set<Version>()
        var versions: [Version] = []
        for file in files {
            guard let parsed = try? DistributionFilename(file.filename, project: project),
                let v = try? Version(parsed.version), seen.insert(v).inserted
            else { continue }
            versions.append(v)
        }
        return versions.sorted().map(\.description)
    }

    /// PEP 440 order (upstreams may send another); versions that don't parse go first, as strings.
    static func sorted(_ versions: [String]) -> [String] {
        let parsed = versions.map { ($0, try? Version($0)) }
        return parsed.sorted { a, b in
            switch (a.1, b.1) {
            case let (x?, y?): return x < y
            case (nil, _?): return true
            case (_?, nil): return false
            case (nil, nil): return a.0 < b.0
            }
        }.map(\.0)
    }

    /// Finds an upstream file by name.
    public static func file(named filename: String, in page: ProjectPage) -> IndexFile? {
        page.files.first { $0.filename == filename }
    }
}
