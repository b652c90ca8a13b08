import Crypto
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// open(2) under a name `SecretBox.open` does not shadow.
private func openFile(_ path: String, _ flags: Int32, _ mode: mode_t = 0) -> Int32 { open(path, flags, mode) }

/// Encrypts upstream passwords at rest (AES-GCM, 256-bit key) so the settings rows hold no
/// credential in clear; `sealed:v2:` values carry their own nonce and tag.
///
/// A sealed value is bound to its repository and upstream URL (the associated data): it opens only
/// in the row it was written for, so a value copied from a backup into another repository, or kept
/// across a URL change, cannot be decrypted. Sealing happens only here, on clear text: what a
/// request or a configuration file gives is always sealed, and a value that already looks sealed is
/// refused (`checkNotSealed`).
///
/// The key comes from `WHEELHOUSE_SECRET_KEY` (base64 of 32 bytes), or in the embedded default from
/// `<data>/secret-key`, generated once (mode 0600). A cluster without a configured key has none and
/// refuses to store a password (`seal` throws). Values stored in clear by older versions still open
/// (they are returned as they are) and are sealed at the next start; `sealed:v1:` values (unbound,
/// from unreleased builds) are unreadable and dropped at start.
public struct SecretBox: Sendable {
    let key: SymmetricKey?
    static let marker = "sealed:v2:"
    /// Any sealed format, this one or an older one.
    static let anyMarker = "sealed:"

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

    /// The key in `path`, created there (mode 0600 from its creation) only when no file exists: a file
    /// that cannot be read or holds no valid key is an error, never overwritten, because every stored
    /// password was sealed with the key it holds.
    public static func loadOrCreate(path: String) throws -> SecretBox {
        let fd = openFile(path, O_RDONLY | O_CLOEXEC)
        if fd >= 0 {
            defer { close(fd) }
            let data = try readAll(fd, path: path)
            guard let text = String(data: data, encoding: .utf8) else {
                throw WheelhouseError(.internalError, "\(path) does not hold a valid key (not UTF-8 text); restore it from a backup")
            }
            do throws(WheelhouseError) { return try SecretBox(base64Key: text) } catch {
                throw WheelhouseError(.internalError, "\(path) does not hold a valid key: \(error.message)")
            }
        }
        let readError = errno
        guard readError == ENOENT else {
            throw WheelhouseError(.internalError, "cannot read the secret key \(path): \(String(cString: strerror(readError)))")
        }
        let key = SymmetricKey(size: .bits256)
        let text = key.withUnsafeBytes { Data($0).base64EncodedString() } + "\n"
        let out = openFile(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0o600)
        guard out >= 0 else {
            let error = errno
            // Another process created it in between: read that one.
            if error == EEXIST { return try loadOrCreate(path: path) }
            throw WheelhouseError(.internalError, "cannot create the secret key \(path): \(String(cString: strerror(error)))")
        }
        defer { close(out) }
        let written = Array(text.utf8).withUnsafeBytes { write(out, $0.baseAddress, $0.count) }
        guard written == text.utf8.count, fsync(out) == 0 else {
            let error = errno
            unlink(path)
            throw WheelhouseError(.internalError, "cannot write the secret key \(path): \(String(cString: strerror(error)))")
        }
        return SecretBox(key: key)
    }

    static func readAll(_ fd: Int32, path: String) throws -> Data {
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n == 0 { return data }
            if n < 0 {
                if errno == EINTR { continue }
                throw WheelhouseError(.internalError, "cannot read the secret key \(path): \(String(cString: strerror(errno)))")
            }
            data.append(contentsOf: buffer[0..<n])
            if data.count > 1 << 16 { throw WheelhouseError(.internalError, "\(path) does not hold a valid key (too large)") }
        }
    }

    public var hasKey: Bool { key != nil }

    /// A value in any sealed format.
    public static func isSealed(_ value: String) -> Bool { value.hasPrefix(anyMarker) }

    /// A value in the current sealed format (older ones do not open).
    public static func isCurrent(_ value: String) -> Bool { value.hasPrefix(marker) }

    /// Refuses a password given in sealed form: only clear text is sealed, so a sealed value read from
    /// a backup cannot be planted in another repository.
    public static func checkNotSealed(_ password: String) throws(WheelhouseError) {
        if isSealed(password) {
            throw .badRequest("a password starting with '\(anyMarker)' is refused: give the upstream password in clear (it is encrypted when stored)")
        }
    }

    /// What a sealed value is bound to: the repository and its upstream URL.
    static func associatedData(repository: String, url: String?) -> [UInt8] {
        Array("wheelhouse upstream password\u{0}\(repository)\u{0}\(url ?? "")".utf8)
    }

    /// Seals the clear password of `repository` with upstream `url`.
    public func seal(_ clear: String, repository: String, url: String?) throws(WheelhouseError) -> String {
        guard let key else {
            throw .badRequest("storing an upstream password needs WHEELHOUSE_SECRET_KEY (base64 of 32 bytes) in cluster mode, set alike on every node")
        }
        let ad = Self.associatedData(repository: repository, url: url)
        guard let box = try? AES.GCM.seal(Array(clear.utf8), using: key, authenticating: ad), let combined = box.combined else {
            throw WheelhouseError(.internalError, "cannot encrypt the upstream password")
        }
        return Self.marker + combined.base64EncodedString()
    }

    /// The clear text of the value stored for `repository` with upstream `url`; a value stored in
    /// clear is returned as it is. Throws when it was sealed for another repository or URL.
    public func open(_ stored: String, repository: String, url: String?) throws(WheelhouseError) -> String {
        guard Self.isSealed(stored) else { return stored }
        guard Self.isCurrent(stored) else {
            throw WheelhouseError(.internalError, "the upstream password of '\(repository)' is in an older encrypted format; set it again")
        }
        guard let key else { throw WheelhouseError(.internalError, "an upstream password is encrypted but no WHEELHOUSE_SECRET_KEY is set") }
        guard let data = Data(base64Encoded: String(stored.dropFirst(Self.marker.count))),
            let box = try? AES.GCM.SealedBox(combined: data),
            let clear = try? AES.GCM.open(box, using: key, authenticating: Self.associatedData(repository: repository, url: url))
        else {
            throw WheelhouseError(
                .internalError, "the upstream password of '\(repository)' cannot be decrypted with this WHEELHOUSE_SECRET_KEY for this repository and URL")
        }
        return String(decoding: clear, as: UTF8.self)
    }
}
