import ArgumentParser
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// The options every client command shares: where the server is and which token to use.
struct ClientOptions: ParsableArguments {
    @Option(help: "Server URL (default: $WHEELHOUSE_URL or http://127.0.0.1:8080).") var server: String?
    @Option(help: "API token (default: $WHEELHOUSE_TOKEN).") var token: String?

    func client() throws -> APIClient {
        let env = ProcessInfo.processInfo.environment
        let base = server ?? env["WHEELHOUSE_URL"] ?? "http://127.0.0.1:8080"
        guard let token = token ?? env["WHEELHOUSE_TOKEN"], !token.isEmpty else {
            throw ValidationError("no token: pass --token or set WHEELHOUSE_TOKEN")
        }
        return APIClient(base: base.hasSuffix("/") ? String(base.dropLast()) : base, token: token)
    }
}

/// A thin client of the REST API: the CLI does nothing the API doesn't.
struct APIClient {
    let base: String
    let token: String

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// Sends a request and returns the decoded JSON body (nil for empty bodies); non-2xx becomes a `Failure`.
    func call(_ method: HTTPMethod, _ path: String, body: [String: Any]? = nil, timeout: TimeAmount = .seconds(60)) async throws -> Any? {
        var request = HTTPClientRequest(url: base + "/api/v1" + path)
        request.method = method
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        request.headers.add(name: "User-Agent", value: "wheelhouse-cli")
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: body)))
        }
        let response: HTTPClientResponse
        do {
            response = try await HTTPClient.shared.execute(request, timeout: timeout)
        } catch {
            throw Failure(description: "cannot reach \(base): \(error)")
        }
        let bytes = try await response.body.collect(upTo: 64 << 20)
        let json = bytes.readableBytes > 0 ? try? JSONSerialization.jsonObject(with: Data(bytes.readableBytesView)) : nil
        guard (200..<300).contains(response.status.code) else {
            let message = (json as? [String: Any])?["error"] as? String ?? response.status.reasonPhrase
            throw Failure(description: "\(response.status.code): \(message)")
        }
        return json
    }
}

enum Output {
    static func print(json value: Any?) {
        guard let value, let data = try? JSONSerialization.data(withJSONObject: value, options: [.prettyPrinted, .sortedKeys]) else { return }
        Swift.print(String(decoding: data, as: UTF8.self))
    }

    static func percent(_ s: String) -> String {
        s.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(.init(charactersIn: "-._~"))) ?? s
    }
}
