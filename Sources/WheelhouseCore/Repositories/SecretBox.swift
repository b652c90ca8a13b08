import Crypto
import Foundation

/// Encrypts upstream passwords at rest (AES-GCM, 256-bit key) so the settings rows hold no
/// credential in clear; `sealed:` values carry their own nonce and tag.
///
/// The key comes from `WHEELHOUSE_SECRET_KEY` (base64 of 32 bytes), or in the embedded default from
/// `<data>/secret-key`, generated once (mode 0600). A cluster without a configured key has none and
/// refuses to store a password (`seal` throws). Values stored in clear by older versions still open
/// (they are returned as they are) and are sealed at the next start.
public struct SecretBox: Sendable {
    let key: SymmetricKey?
    static let marker = "sealed:v1:"

    public init(key: SymmetricKey?) {
        self.key = key
    }

    /// A key given as base64 of 32 bytes.
    public init(base64Key: String) throws(WheelhouseError) {
        guard let data = Data(base64Encoded: base64Key.trimmingCharacters(in: .whitespacesAndNewlines)), data.count == 32 else {
            throw .badRequest("WHEELHOUSE_SECRET_KEY must be the base64 of 32 random bytes (e.g. `openssl rand -base64 32`)")
        }
        self.init(key: SymmetricKey(data: data))
    }

    /// The key in `path`, created there (mode 0600) when the file does not exist.
    public static func loadOrCreate(path: String) throws -> SecretBox {
        if let text = try? String(contentsOfFile: path, encoding: .utf8) {
            do throws(WheelhouseError) { return try SecretBox(base64Key: text) } catch {
                throw WheelhouseError.badRequest("\(path) does not hold a valid key: \(error.message)")
            }
        }
        let key = SymmetricKey(size: .bits256)
        let text = key.withUnsafeBytes { Data($0).base64EncodedString() } + "\n"
        guard FileManager.default.createFile(atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600]) else {
            throw WheelhouseError(.internalError, "cannot write the secret key to \(path)")
        }
        return SecretBox(key: key)
    }

    public var hasKey: Bool { key != nil }

    public static func isSealed(_ value: String) -> Bool { value.hasPrefix(marker) }

    public func seal(_ clear: String) throws(WheelhouseError) -> String {
        guard let key else {
            throw .badRequest("storing an upstream password needs WHEELHOUSE_SECRET_KEY (base64 of 32 bytes) in cluster mode, set alike on every node")
        }
        guard let box = try? AES.GCM.seal(Array(clear.utf8), using: key), let combined = box.combined else {
            throw WheelhouseError(.internalError, "cannot encrypt the upstream password")
        }
        return Self.marker + combined.base64EncodedString()
    }

    /// Seals `value` unless it already is.
    public func sealIfNeeded(_ value: String) throws(WheelhouseError) -> String {
        if Self.isSealed(value) { return value }
        return try seal(value)
    }

    /// The clear text of a stored value; a value stored in clear is returned as it is.
    public func open(_ stored: String) throws(WheelhouseError) -> String {
        guard Self.isSealed(stored) else { return stored }
        guard let key else { throw WheelhouseError(.internalError, "an upstream password is encrypted but no WHEELHOUSE_SECRET_KEY is set") }
        guard let data = Data(base64Encoded: String(stored.dropFirst(Self.marker.count))),
            let box = try? AES.GCM.SealedBox(combined: data), let clear = try? AES.GCM.open(box, using: key)
        else {
            throw WheelhouseError(.internalError, "an upstream password cannot be decrypted with this WHEELHOUSE_SECRET_KEY")
        }
        return String(decoding: clear, as: UTF8.self)
    }
}
