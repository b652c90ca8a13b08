import AsyncHTTPClient
import WheelhouseCore
import WheelhouseHTTP
import WheelhouseUpstream

/// One pooled HTTP client for every remote repository's upstream.
final class UpstreamFactory: Sendable {
    static let shared = UpstreamFactory()
    let client = HTTPUpstream.makeClient()

    func upstream(for repository: Repository) throws -> any Upstream {
        guard let url = repository.settings.url else {
            throw WheelhouseError(.internalError, "remote repository '\(repository.name)' has no upstream URL")
        }
        let credentials = repository.settings.upstreamUsername.map {
            HTTPUpstream.Credentials(username: $0, password: repository.settings.upstreamPassword ?? "")
        }
        return HTTPUpstream(
            baseURL: url, credentials: credentials, client: client,
            userAgent: "Wheelhouse/\(WheelhouseVersion.current) (+remote repository '\(repository.name)')")
    }
}
