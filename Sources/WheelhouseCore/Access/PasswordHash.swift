import Crypto
import CryptoExtras
import Foundation

/// Password hashing with scrypt (BoringSSL through swift-crypto's CryptoExtras): slow on purpose,
/// salted, parameters stored with the hash so they can be raised later.
///
/// Format: `scrypt$<log2 N>$<r>$<p>$<salt base64>$<hash base64>`.
public enum PasswordHash {
    static let logN = 15, r = 8, p = 1, length = 32

    public static func make(_ password: String) throws -> String {
        var rng = SystemRandomNumberGenerator()
        let salt = (0..<16).map { _ in UInt8.random(in: 0...255, using: &rng) }
        let hash = try derive(password, salt: salt, logN: logN, r: r, p: p)
        return "scrypt$\(logN)$\(r)$\(p)$\(Data(salt).base64EncodedString())$\(Data(hash).base64EncodedString())"
    }

    public static func verify(_ password: String, against stored: String) -> Bool {
        let parts = stored.split(separator: "$").map(String.init)
        guard parts.count == 6, parts[0] == "scrypt", let logN = Int(parts[1]), let r = Int(parts[2]), let p = Int(parts[3]),
            (10...20).contains(logN), let salt = Data(base64Encoded: parts[4]), let expected = Data(base64Encoded: parts[5]),
            let actual = try? derive(password, salt: [UInt8](salt), logN: logN, r: r, p: p)
        else { return false }
        return ConstantTime.equal(actual, [UInt8](expected))
    }

    static func derive(_ password: String, salt: [UInt8], logN: Int, r: Int, p: Int) throws -> [UInt8] {
        let key = try KDF.Scrypt.deriveKey(
            from: Array(password.utf8), salt: salt, outputByteCount: length, rounds: 1 << logN, blockSize: r, parallelism: p,
            maxMemory: 128 << 20)
        return key.withUnsafeBytes { Array($0) }
    }
}

/// Comparisons whose time does not depend on where the inputs differ.
public enum ConstantTime {
    public static func equal(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var diff: UInt8 = 0
        for i in 0..<a.count { diff |= a[i] ^ b[i] }
        return diff == 0
    }

    public static func equal(_ a: String, _ b: String) -> Bool { equal(Array(a.utf8), Array(b.utf8)) }
}
