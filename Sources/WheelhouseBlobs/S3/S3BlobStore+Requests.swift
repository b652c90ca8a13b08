import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import WheelhouseCore

extension S3BlobStore {
    /// One S3 call before signing: the object it targets (nil for the bucket itself) and what it sends.
    struct Operation: Sendable {
        var method: HTTPMethod
        /// The full object key (prefix included), or nil for bucket-level calls.
        var object: String?
        var query: [(name: String, value: String)] = []
        var headers: [(name: String, value: String)] = []
        var payloadHash: String = SigV4.emptyPayloadHash

        init(method: HTTPMethod, object: String?, query: [(name: String, value: String)] = [], payloadHash: String = SigV4.emptyPayloadHash) {
            self.method = method
            self.object = object
            self.query = query
            self.payloadHash = payloadHash
        }
    }

    /// Signs `operation` for now and turns it into an AsyncHTTPClient request.
    func request(_ operation: Operation, body: HTTPClientRequest.Body?) -> HTTPClientRequest {
        var path = configuration.pathStyle ? "/" + configuration.bucket : ""
        if let object = operation.object { path += "/" + object }
        if path.isEmpty { path = "/" }
        let unsigned = SigV4.Request(
            method: operation.method.rawValue, path: path, query: operation.query,
            headers: [("host", hostHeader)] + operation.headers)
        let query = unsigned.encodedQuery
        var request = HTTPClientRequest(url: origin + unsigned.encodedPath + (query.isEmpty ? "" : "?" + query))
        request.method = operation.method
        for (name, value) in signer.sign(unsigned, payloadHash: operation.payloadHash, date: Date()) {
            request.headers.add(name: name, value: value)
        }
        if let body { request.body = body }
        return request
    }

    func execute(_ operation: Operation, body: HTTPClientRequest.Body? = nil, timeout: TimeAmount) async throws -> HTTPClientResponse {
        do {
            let response = try await client.execute(request(operation, body: body), timeout: timeout)
            // A signed request answered 2xx (or 404: authenticated, absent) proves the engine serves us.
            if (200..<300).contains(response.status.code) || response.status.code == 404 { health.answered() }
            return response
        } catch {
            throw connectionFailure(error, operation)
        }
    }

    /// Throws the S3 error unless the status is one of `expected`; always consumes the body so the
    /// connection goes back to the pool.
    func expect(_ response: HTTPClientResponse, _ expected: Set<UInt>, _ operation: Operation) async throws {
        if expected.contains(response.status.code) {
            try await drain(response, operation)
            return
        }
        // Error bodies are small XML documents; an engine that streams something huge is cut off.
        let body = (try? await response.body.collect(upTo: 64 << 10)).map { String(buffer: $0) } ?? ""
        throw failure(status: response.status.code, body: body, operation)
    }

    func drain(_ response: HTTPClientResponse, _ operation: Operation) async throws {
        do {
            for try await _ in response.body {}
        } catch {
            throw connectionFailure(error, operation)
        }
    }

    /// 5xx means the engine is (perhaps briefly) unable to serve: `.unavailable`, which `withRetries`
    /// retries and readiness reports. Anything else is a configuration or programming error.
    func failure(status: UInt, body: String, _ operation: Operation) -> WheelhouseError {
        var detail = "\(status)"
        if let code = S3XML.value(of: "Code", in: body) { detail += " \(code)" }
        if let message = S3XML.value(of: "Message", in: body), !message.isEmpty { detail += ": \(message)" }
        switch status {
        case 301, 307:
            detail += " (check the region and the path-style setting)"
        case 400 where body.contains("AuthorizationHeaderMalformed"):
            detail += " (check the region)"
        case 403:
            detail += " (check the access key, the secret key and this host's clock)"
        default:
            break
        }
        let message = "S3 \(operation.method.rawValue) \(what(operation)) failed: \(detail)"
        return WheelhouseError(status >= 500 ? .unavailable : .internalError, message)
    }

    /// Connection refused, reset, timed out: the engine is unreachable, which readiness must report.
    func connectionFailure(_ error: any Error, _ operation: Operation) -> WheelhouseError {
        if let error = error as? WheelhouseError { return error }
        if error is CancellationError || (error as? HTTPClientError) == .cancelled {
            return WheelhouseError(.unavailable, "S3 \(operation.method.rawValue) \(what(operation)) cancelled")
        }
        return WheelhouseError(.unavailable, "S3 endpoint \(configuration.endpoint) unreachable for \(operation.method.rawValue) \(what(operation)): \(error)")
    }

    /// `bucket/key` for messages: enough to find the object, and never a credential.
    func what(_ operation: Operation) -> String {
        configuration.bucket + (operation.object.map { "/" + $0 } ?? "")
    }

    /// Runs `body` up to three times while it fails fast with `.unavailable` (5xx such as S3's
    /// `503 SlowDown`, a connection dropped mid-request). A slow failure (a timeout, an endpoint that
    /// refuses connections until the connect timeout) is final: retrying would only make the caller,
    /// and the pip behind it, wait longer for the same 503. Every caller is idempotent: objects are
    /// content-addressed.
    func withRetries<T>(_ body: () async throws -> T) async throws -> T {
        var attempt = 1
        while true {
            let started = ContinuousClock.now
            do {
                return try await body()
            } catch let error as WheelhouseError
                where error.code == .unavailable && attempt < 3 && ContinuousClock.now - started < .seconds(2) && !Task.isCancelled
            {
                try await Task.sleep(for: .milliseconds(attempt == 1 ? 100 : 500))
                attempt += 1
            }
        }
    }
}
