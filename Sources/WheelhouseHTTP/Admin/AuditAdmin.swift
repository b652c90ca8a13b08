import Foundation
import Hummingbird
import WheelhouseCore

/// `GET /api/v1/audit?actor=&action=&repository=&since=<ISO 8601>&before=<id>&limit=`: newest first;
/// the next page is `before=<id of the last entry>`.
struct AuditAdmin {
    let call: AdminCall
    init(_ call: AdminCall) { self.call = call }

    struct Page: Encodable {
        let entries: [AuditEntry]
        let next: Int64?
    }

    func list() async throws -> Response {
        _ = try await call.access.requireServerAdmin(call.request, context: call.context)
        let q = call.request.uri.queryParameters
        var filter = AuditFilter()
        filter.actor = q["actor"].map(String.init)
        filter.action = q["action"].map(String.init)
        filter.repository = q["repository"].map(String.init)
        if let since = q["since"] {
            guard let date = ISO8601DateFormatter().date(from: String(since)) else {
                throw WheelhouseError.badRequest("since must be an ISO 8601 time, e.g. 2026-01-31T12:00:00Z")
            }
            filter.since = date
        }
        if let before = q["before"] {
            guard let id = Int64(before) else { throw WheelhouseError.badRequest("before must be an entry id") }
            filter.before = id
        }
        if let limit = q["limit"] {
            guard let n = Int(limit), (1...1000).contains(n) else { throw WheelhouseError.badRequest("limit must be 1 to 1000") }
            filter.limit = n
        }
        let entries = try await call.metadata.audit(filter)
        return try Responses.json(.ok, Page(entries: entries, next: entries.count == filter.limit ? entries.last?.id : nil))
    }
}
