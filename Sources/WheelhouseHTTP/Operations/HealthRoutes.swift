import Hummingbird
import WheelhouseCore

/// `/health/live` (the process answers) and `/health/ready` (both stores answer and we are not draining).
struct HealthRoutes {
    let services: WheelhouseServices

    func respond(_ request: Request, segments: [String]) async throws -> Response {
        switch segments {
        case ["live"]:
            return try Responses.json(.ok, ["status": "live"])
        case ["ready"]:
            if services.readiness.isDraining {
                return try Responses.json(.serviceUnavailable, ["status": "draining"])
            }
            var problems: [String: String] = [:]
            do { try await services.metadata.ping() } catch { problems["metadata"] = "\(error)" }
            do { try await services.blobs.ping() } catch { problems["blobs"] = "\(error)" }
            if problems.isEmpty { return try Responses.json(.ok, ["status": "ready"]) }
            problems["status"] = "unavailable"
            return try Responses.json(.serviceUnavailable, problems)
        default:
            throw WheelhouseError.notFound("not found")
        }
    }
}
