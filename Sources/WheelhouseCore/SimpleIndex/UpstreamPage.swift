import Foundation

/// Parsing an upstream's project page, HTML (PEP 503) or JSON (PEP 691), into a `ProjectPage`
/// whose file URLs are absolute upstream URLs. Every attribute is kept.
public enum UpstreamPage {
    public static func parse(_ bytes: [UInt8], contentType: String?, pageURL: String, project: String) throws(WheelhouseError) -> ProjectPage {
        let type = contentType?.lowercased() ?? ""
        if type.contains("json") { return try parseJSON(bytes, pageURL: pageURL, project: project) }
        if type.contains("html") { return parseHTML(bytes, pageURL: pageURL, project: project) }
        // No usable Content-Type: sniff.
        if let first = bytes.first(where: { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 }), first == UInt8(ascii: "{") {
            return try parseJSON(bytes, pageURL: pageURL, project: project)
        }
        return parseHTML(bytes, pageURL: pageURL, project: project)
    }

    public static func parseJSON(_ bytes: [UInt8], pageURL: String, project: String) throws(WheelhouseError) -> ProjectPage {
        guard let object = try? JSONSerialization.jsonObject(with: Data(bytes)), let root = object as? [String: Any] else {
            throw WheelhouseError(.badGateway, "upstream page for '\(project)' is not valid JSON")
        }
        let base = URL(string: pageURL)
        var files: [IndexFile] = []
        for case let f as [String: Any] in root["files"] as? [Any] ?? [] {
            guard let filename = f["filename"] as? String, let url = f["url"] as? String else { continue }
            var hashes: [String: String] = [:]
            for (k, v) in f["hashes"] as? [String: Any] ?? [:] {
                if let s = v as? String { hashes[k] = s.lowercased() }
            }
            let yanked: String? = switch f["yanked"] {
            case let s as String: s
            case let b as Bool: b ? "" : nil
            default: nil
            }
            files.append(IndexFile(
                filename: filename,
                url: resolve(url, base),
                hashes: hashes,
                requiresPython: f["requires-python"] as? String,
                yanked: yanked,
                coreMetadata: coreMetadata(f["core-metadata"] ?? f["dist-info-metadata"]),
                size: (f["size"] as? NSNumber)?.int64Value,
                uploadTime: f["upload-time"] as? String,
                provenance: (f["provenance"] as? String).map { resolve($0, base) }
            ))
        }
        let status = root["project-status"] as? [String: Any]
        return ProjectPage(
            name: root["name"] as? String ?? project,
            files: files,
            versions: (root["versions"] as? [Any])?.compactMap { $0 as? String } ?? [],
            status: status?["status"] as? String,
            statusReason: status?["reason"] as? String)
    }

    static func coreMetadata(_ value: Any?) -> [String: String]? {
        switch value {
        case let b as Bool: return b ? [:] : nil
        case let d as [String: Any]:
            var out: [String: String] = [:]
            for (k, v) in d { if let s = v as? String { out[k] = s.lowercased() } }
            return out
        default: return nil
        }
    }

    /// PEP 503 HTML: every `<a>` is a file; attributes carry the metadata.
    public static func parseHTML(_ bytes: [UInt8], pageURL: String, project: String) -> ProjectPage {
        let base = URL(string: pageURL)
        var files: [IndexFile] = []
        var status: String?
        var statusReason: String?
        var scanner = HTMLScanner(bytes)
        while let tag = scanner.nextTag() {
            switch tag.name {
            case "meta":
                if tag.attributes["name"] == "pypi:project-status" { status = tag.attributes["content"] }
                if tag.attributes["name"] == "pypi:project-status-reason" { statusReason = tag.attributes["content"] }
            case "a":
                guard let href = tag.attributes["href"] else { continue }
                let text = scanner.textUntilClosing("a").trimmingCharacters(in: .whitespacesAndNewlines)
                var url = href
                var hashes: [String: String] = [:]
                if let hashIndex = href.firstIndex(of: "#") {
                    url = String(href[..<hashIndex])
                    let fragment = href[href.index(after: hashIndex)...]
                    let parts = fragment.split(separator: "=", maxSplits: 1)
                    if parts.count == 2 { hashes[String(parts[0]).lowercased()] = String(parts[1]).lowercased() }
                }
                let absolute = resolve(url, base)
                let filename = text.isEmpty ? lastPathComponent(absolute) : text
                let metaAttr = tag.attributes["data-core-metadata"] ?? tag.attributes["data-dist-info-metadata"]
                var coreMetadata: [String: String]? = nil
                if let metaAttr {
                    let parts = metaAttr.split(separator: "=", maxSplits: 1)
                    if parts.count == 2 {
                        coreMetadata = [String(parts[0]).lowercased(): String(parts[1]).lowercased()]
                    } else if metaAttr.lowercased() != "false" {
                        coreMetadata = [:]
                    }
                }
                files.append(IndexFile(
                    filename: filename, url: absolute, hashes: hashes,
                    requiresPython: tag.attributes["data-requires-python"],
                    yanked: tag.attributes["data-yanked"],
                    coreMetadata: coreMetadata,
                    provenance: tag.attributes["data-provenance"].map { resolve($0, base) }))
            default:
                continue
            }
        }
        return ProjectPage(name: project, files: files, versions: [], status: status, statusReason: statusReason)
    }

    static func resolve(_ url: String, _ base: URL?) -> String {
        URL(string: url, relativeTo: base)?.absoluteString ?? url
    }

    static func lastPathComponent(_ url: String) -> String {
        let path = url.split(separator: "?", maxSplits: 1).first.map(String.init) ?? url
        return path.split(separator: "/").last.map { String($0).removingPercentEncoding ?? String($0) } ?? path
    }
}
