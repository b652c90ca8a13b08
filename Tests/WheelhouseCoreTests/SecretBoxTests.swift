import Foundation
import Testing
@testable import WheelhouseCore

@Suite struct SecretBoxTests {
    func temporaryDirectory() throws -> String {
        let dir = NSTemporaryDirectory() + "wheelhouse-secretbox-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    @Test func createsTheKeyFileOnceWithMode0600() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/secret-key"
        #expect(try SecretBox.loadOrCreate(path: path).hasKey)
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        let written = FileManager.default.contents(atPath: path)
        #expect(written?.count == 45)   // base64 of 32 bytes and a newline
        #expect(try SecretBox.loadOrCreate(path: path).hasKey)
        #expect(FileManager.default.contents(atPath: path) == written)
    }

    /// A key file that cannot be read as a key is an error, never a reason to write a new key over it
    /// (every stored password would become undecryptable).
    @Test func aKeyFileThatCannotBeReadIsKeptAndFailsTheStart() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/secret-key"
        let bytes = Data([0xFF, 0xFE, 0x00, 0x80, 0x0A])   // not UTF-8
        try bytes.write(to: URL(fileURLWithPath: path))
        #expect(throws: (any Error).self) { try SecretBox.loadOrCreate(path: path) }
        #expect(FileManager.default.contents(atPath: path) == bytes)
    }

    @Test(.enabled(if: getuid() != 0, "root reads any file")) func anUnreadableKeyFileIsKept() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/secret-key"
        _ = try SecretBox.loadOrCreate(path: path)
        let before = FileManager.default.contents(atPath: path)
        try FileManager.default.setAttributes([.posixPermissions: 0o000], ofItemAtPath: path)
        #expect(throws: (any Error).self) { try SecretBox.loadOrCreate(path: path) }
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
        #expect(FileManager.default.contents(atPath: path) == before)
    }
}

@Suite struct SealedPasswordBindingTests {
    let box = try! SecretBox(base64Key: String(repeating: "A", count: 43) + "=")

    /// A sealed value opens only for the repository and upstream URL it was sealed for.
    @Test func aSealedValueOpensOnlyWhereItWasSealed() throws {
        let sealed = try box.seal("pw", repository: "a", url: "https://up.example/simple/")
        #expect(sealed.hasPrefix("sealed:v2:"))
        #expect(try box.open(sealed, repository: "a", url: "https://up.example/simple/") == "pw")
        #expect(throws: WheelhouseError.self) { try box.open(sealed, repository: "b", url: "https://up.example/simple/") }
        #expect(throws: WheelhouseError.self) { try box.open(sealed, repository: "a", url: "https://evil.example/simple/") }
    }

    @Test func sealedInputIsRefusedAndV1DoesNotOpen() throws {
        #expect(throws: WheelhouseError.self) { try SecretBox.checkNotSealed("sealed:v1:AAAA") }
        #expect(throws: WheelhouseError.self) { try SecretBox.checkNotSealed("sealed:v2:AAAA") }
        try SecretBox.checkNotSealed("an ordinary password")
        #expect(throws: WheelhouseError.self) { try box.open("sealed:v1:AAAA", repository: "a", url: nil) }
        #expect(try box.open("kept in clear", repository: "a", url: nil) == "kept in clear")
    }
}
