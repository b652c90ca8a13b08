import HTTPTypes
import Hummingbird
import WheelhouseCore
import WheelhouseVirtual

/// The simple repository API (PEP 503/691): the project list and project pages.
struct SimpleRoutes {
    let services: WheelhouseServices

    func projectPage(_ request: Request, repository: Repository, project: String, members: VirtualMembers?) async throws -> Response {
        let format = try negotiate(request)
        switch repository.kind {
        case .remote:
            let answer = try await services.remote.page(repository: repository, project: project)
            var response = serve(request, answer.page, format: format)
            if let reason = answer.staleReason {
                // pip and uv ignore these; operators and `curl -i` see why a page may be old.
                response.headers[HTTPField.Name("Warning")!] = "110 - \"Response is Stale\""
                response.headers[HTTPField.Name("X-Wheelhouse-Stale")!] = Self.headerSafe(reason)
            }
            return response
        case .virtual:
            guard let members else { throw WheelhouseError(.internalError, "virtual '\(repository.name)' without its members") }
            let merged = try await services.virtual.page(repository, project: project, members: members)
            var response = serve(request, merged.page, format: format)
            // Which members served the page: makes the dependency-confusion guard visible.
            response.headers[HTTPField.Name("X-Wheelhouse-Served-By")!] = merged.servedBy.joined(separator: ", ")
            if let reason = merged.staleReason {
                response.headers[HTTPField.Name("X-Wheelhouse-Stale")!] = Self.headerSafe(reason)
            }
            return response
        case .local:
            guard let page = try await services.metadata.page(repository: repository.id, project: project) else {
                throw WheelhouseError.notFound("project '\(project)' not found in '\(repository.name)'")
            }
            return serve(request, page, format: format)
        }
    }

    static func headerSafe(_ s: String) -> String {
        String(s.unicodeScalars.map { $0.isASCII && $0.value >= 0x20 && $0.value != 0x7F ? Character($0) : " " }.prefix(300))
    }

    /// One stored page in the negotiated format, with its validator; 304 when the client has it.
    func serve(_ request: Request, _ page: StoredPage, format: SimpleFormat) -> Response {
        let etag = page.rendered.etag(for: format)
        var headers: HTTPFields = [
            .contentType: format.contentType,
            .vary: "Accept",
            .eTag: etag,
            .cacheControl: "max-age=0, must-revalidate",
        ]
        if let inm = request.headers[.ifNoneMatch], Self.matches(ifNoneMatch: inm, etag: etag) {
            return Responses.empty(.notModified, headers: headers)
        }
        let body = page.rendered.body(for: format)
        if request.method == .head {
            headers[.contentLength] = String(body.readableBytes)
            return Response(status: .ok, headers: headers, body: .init())
        }
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: body))
    }

    func projectList(_ request: Request, repository: Repository, members: VirtualMembers?) async throws -> Response {
        let format = try negotiate(request)
        let entries = if let members {
            try await services.virtual.projectList(repository, members: members)
        } else {
            try await services.metadata.projectList(repository: repository.id)
        }
        let body = format == .json ? ProjectListRenderer.json(entries) : ProjectListRenderer.html(entries)
        let etag = "\"" + ProjectListRenderer.validator(body) + "\""
        var headers: HTTPFields = [.vary: "Accept", .cacheControl: "max-age=0, must-revalidate", .eTag: etag]
        if let inm = request.headers[.ifNoneMatch], Self.matches(ifNoneMatch: inm, etag: etag) {
            return Responses.empty(.notModified, headers: headers)
        }
        if request.method == .head {
            headers[.contentType] = format.contentType
            headers[.contentLength] = String(body.count)
            return Response(status: .ok, headers: headers, body: .init())
        }
        return Responses.bytes(.ok, body, contentType: format.contentType, headers: headers)
    }

    func negotiate(_ request: Request) throws -> SimpleFormat {
        let format = request.uri.queryParameters["format"].map(String.init)
        guard let chosen = SimpleFormat.negotiate(accept: request.headers[.accept], format: format) else {
            throw WheelhouseError(
                .notAcceptable,
                "none of the requested media types is available: use application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html or text/html")
        }
        return chosen
    }

    /// `If-None-Match`: a list of entity tags or `*`; weak comparison, as RFC 9110 prescribes for it.
    static func matches(ifNoneMatch: String, etag: String) -> Bool {
        let trimmed = ifNoneMatch.trimmingCharacters(in: .whitespaces)
        if trimmed == "*" { return true }
        let bare = etag.hasPrefix("W/") ? String(etag.dropFirst(2)) : etag
        return trimmed.split(separator: ",").contains { candidate in
            var c = candidate.trimmingCharacters(in: .whitespaces)
            if c.hasPrefix("W/") { c.removeFirst(2) }
            return c == bare
        }
    }
}

import Foundation
