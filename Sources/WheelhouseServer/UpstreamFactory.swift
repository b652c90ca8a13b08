import AsyncHTTPClient
import WheelhouseCore
import WheelhouseHTTP
import WheelhouseUpstream

/// One pooled HTTP client for every remote repository's upstream.
final class UpstreamFactory: Sendable {
    static let shared = UpstreamFactory()
    let client = HTTPUpstream.makeClient()

    func upstream(for repository: Repository, secrets: SecretBox) throws -> any Upstream {
        guard let url = repository.settings.url else {
            throw WheelhouseError(.internalError, "remote repository '\(repository.name)' has no upstream URL")
        }
        let credentials = try repository.settings.upstreamUsername.map {
            HTTPUpstream.Credentials(username: $0, password: try repository.settings.upstreamPassword.map { try secrets.open($0, repository: repository.name, url: url) } ?? "")
        }
        return HTTPUpstream(
            baseURL: url, credentials: credentials, client: client,
            userAgent: "Wheelhouse/\(WheelhouseVersion.current) (+remote repository '\(repository.name)')")
    }
}
