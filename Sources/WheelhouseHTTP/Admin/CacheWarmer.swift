import Foundation
import PythonPackaging
import WheelhouseCore
import WheelhouseRemote

struct WarmRequest: Decodable { let requirements: [String] }
struct CacheList: Encodable { let projects: [CachedProject] }

/// What `cache warm` did.
struct WarmReport: Encodable {
    var projects = 0
    var files = 0
    var bytes: Int64 = 0
    var errors: [String] = []
}

/// Prefetches pages and files of a remote repository through the normal fetch path, so a later
/// install works even with the upstream down.
struct CacheWarmer {
    let services: WheelhouseServices

    func warm(_ repository: Repository, requirements: [String]) async throws -> WarmReport {
        var report = WarmReport()
        for line in requirements {
            guard let requirement = Requirement(line) else { continue }
            do {
                let answer = try await services.remote.page(repository: repository, project: requirement.project)
                report.projects += 1
                guard let page = try await services.metadata.upstreamPage(repository: repository.id, project: requirement.project) else { continue }
                let files = requirement.newestFiles(of: page)
                if files.isEmpty {
                    // The install this prepares would fail too: say so.
                    report.errors.append("\(requirement.project): no version matches '\(line)'")
                }
                for file in files {
                    let sha = file.hashes["sha256"] ?? RemotePage.unknownHash
                    let source = try await services.remote.file(repository: repository, sha256: sha, filename: file.filename)
                    if case .filling(let download, _) = source {
                        // Drain it: the fetch commits only after the last byte.
                        _ = try await download.stream(range: nil) { _ in }
                    }
                    report.files += 1
                    report.bytes += file.size ?? 0
                }
                _ = answer
            } catch let error as WheelhouseError {
                report.errors.append("\(requirement.project): \(error.message)")
            }
        }
        return report
    }
}

/// A requirement line as far as warming needs it: a name and an optional specifier set.
struct Requirement {
    let project: String
    let specifiers: SpecifierSet

    init?(_ line: String) {
        var text = line
        if let hash = text.firstIndex(of: "#") { text = String(text[..<hash]) }
        if let semicolon = text.firstIndex(of: ";") { text = String(text[..<semicolon]) }
        text = text.trimmingCharacters(in: .whitespaces)
        guard !text.isEmpty, !text.hasPrefix("-") else { return nil }
        let nameEnd = text.firstIndex { !($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == ".") } ?? text.endIndex
        let name = String(text[..<nameEnd])
        guard ProjectName.isValid(name) else { return nil }
        var rest = String(text[nameEnd...]).trimmingCharacters(in: .whitespaces)
        if rest.hasPrefix("["), let close = rest.firstIndex(of: "]") { rest = String(rest[rest.index(after: close)...]) }
        guard let specifiers = try? SpecifierSet(rest.trimmingCharacters(in: .whitespaces)) else { return nil }
        project = ProjectName.normalize(name)
        self.specifiers = specifiers
    }

    /// The files of the newest non-yanked version the specifiers allow (pre-releases only when nothing else matches).
    func newestFiles(of page: ProjectPage) -> [IndexFile] {
        var byVersion: [Version: [IndexFile]] = [:]
        for file in page.files where file.yanked == nil {
            guard let parsed = try? DistributionFilename(file.filename, project: project), let v = try? Version(parsed.version) else { continue }
            byVersion[v, default: []].append(file)
        }
        let chosen = specifiers.filter(Array(byVersion.keys), prereleases: nil).max()
        return chosen.map { byVersion[$0] ?? [] } ?? []
    }
}
