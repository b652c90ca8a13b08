import Foundation
import Hummingbird
import Logging
import WheelhouseCore

/// Dispatches every request. Hand-written rather than a trie router because the URL layout
/// needs what routers hide: trailing-slash redirects, three URL aliases for one repository,
/// and file names that are path segments.
public struct WheelhouseResponder: HTTPResponder {
    public typealias Context = WheelhouseContext
    let services: WheelhouseServices

    public init(services: WheelhouseServices) {
        self.services = services
    }

    public func respond(to request: Request, context: WheelhouseContext) async throws -> Response {
        let start = ContinuousClock.now
        var info = RequestInfo()
        let response: Response
        do {
            response = try await route(request, context: context, info: &info)
        } catch let error as WheelhouseError {
            if error.code == .insufficientStorage {
                services.logger.error("storage full", metadata: ["wh.path": "\(request.uri.path)", "wh.error": "\(error.message)"])
                services.telemetry.storageFull(info.route)
            }
            response = Responses.error(error)
        } catch {
            services.logger.error("unhandled error", metadata: ["wh.error": "\(error)", "wh.path": "\(request.uri.path)"])
            response = Responses.error(WheelhouseError(.internalError, "internal error"))
        }
        let duration = ContinuousClock.now - start
        services.telemetry.request(route: info.route, status: Int(response.status.code), duration: duration)
        log(request, response, context: context, info: info, duration: duration)
        return response
    }

    func route(_ request: Request, context: WheelhouseContext, info: inout RequestInfo) async throws -> Response {
        guard let path = RequestPath(request.uri.path) else {
            throw WheelhouseError.badRequest("malformed percent-encoding in the path")
        }
        let s = path.segments
        switch s.first {
        case nil:
            return Responses.bytes(.ok, Array("Wheelhouse \(WheelhouseVersion.current)\n".utf8), contentType: "text/plain; charset=utf-8")
        case "health":
            info.route = "health"
            return try await HealthRoutes(services: services).respond(request, segments: Array(s.dropFirst()))
        case "metrics" where s.count == 1:
            info.route = "metrics"
            return Responses.bytes(.ok, services.telemetry.exposition(), contentType: "text/plain; version=0.0.4; charset=utf-8")
        case "api":
            info.route = "api"
            guard s.count >= 2, s[1] == "v1" else { throw WheelhouseError.notFound("no such API version") }
            return try await AdminRoutes(services: services).respond(request, context: context, segments: Array(s.dropFirst(2)), info: &info)
        default:
            guard let route = RepositoryRoute(path) else { throw WheelhouseError.notFound("not found") }
            info.repository = route.repository
            info.route = RepositoryRoutes.routeName(route)
            return try await RepositoryRoutes(services: services).respond(request, context: context, route: route)
        }
    }

    func log(_ request: Request, _ response: Response, context: WheelhouseContext, info: RequestInfo, duration: Duration) {
        guard services.logger.logLevel <= .info else { return }
        let entry = AccessLog.Entry(
            method: request.method.rawValue, path: request.uri.path, status: Int(response.status.code),
            bytes: response.headers[.contentLength] ?? "-",
            durationMicros: duration.components.seconds * 1_000_000 + duration.components.attoseconds / 1_000_000_000_000,
            client: context.remoteAddress, repository: info.repository, user: info.user)
        if let accessLog = services.accessLog {
            accessLog.write(entry)
        } else {
            services.logger.info("request", metadata: entry.metadata)
        }
    }
}

/// Facts gathered while routing, for the request's log line.
struct RequestInfo {
    var repository: String?
    var user: String?
    /// A low-cardinality name of the route, for metrics.
    var route = "other"
}

public enum WheelhouseVersion {
    public static let current = "0.1.0"
}
