import Foundation
import HTTPTypes
import Hummingbird
import WheelhouseCore

public enum Responses {
    static func json(_ status: HTTPResponse.Status = .ok, _ value: some Encodable) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        let data = try encoder.encode(value)
        return bytes(status, [UInt8](data), contentType: "application/json")
    }

    static func bytes(_ status: HTTPResponse.Status = .ok, _ bytes: [UInt8], contentType: String, headers: HTTPFields = [:]) -> Response {
        var headers = headers
        headers[.contentType] = contentType
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    static func empty(_ status: HTTPResponse.Status, headers: HTTPFields = [:]) -> Response {
        var headers = headers
        headers[.contentLength] = "0"
        return Response(status: status, headers: headers, body: .init())
    }

    /// The internal header that carries a reason phrase to the connection's `ReasonPhraseHandler`.
    public static let reasonHeader = "x-wheelhouse-reason-phrase"

    /// Every error is JSON `{"error": "..."}`; the message also goes, short, in the reason phrase
    /// because twine prints the reason (and `--skip-existing` searches it for "already exist").
    static func error(_ error: WheelhouseError) -> Response {
        let reason = String(error.message.unicodeScalars.map { $0.isASCII && $0.value >= 0x20 && $0.value != 0x7F ? Character($0) : "?" }.prefix(200))
        let status = HTTPResponse.Status(code: error.status, reasonPhrase: reason)
        var headers = HTTPFields()
        headers[HTTPField.Name(reasonHeader)!] = reason
        for (name, value) in error.headers {
            if let field = HTTPField.Name(name) { headers[field] = value }
        }
        let body = (try? JSONEncoder().encode(["error": error.message])).map { [UInt8]($0) } ?? Array("{}".utf8)
        return bytes(status, body, contentType: "application/json", headers: headers)
    }

    static func redirect(to location: String, permanent: Bool = true) -> Response {
        empty(permanent ? .movedPermanently : .found, headers: [.location: location])
    }
}
