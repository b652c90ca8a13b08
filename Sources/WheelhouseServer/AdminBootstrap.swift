import Foundation
import Logging
import WheelhouseCore

/// Creates the admin account on an empty store.
enum AdminBootstrap {
    /// - Returns: the token when one was generated here (so the caller can print it once).
    static func run(metadata: any MetadataStore, configuredToken: String?, dataDirectory: String, logger: Logger) async throws -> String? {
        guard try await metadata.userCount() == 0 else { return nil }
        let token = configuredToken ?? TokenHash.generate()
        let admin: User
        do {
            admin = try await metadata.createUser(name: "admin", passwordHash: nil, isAdmin: true)
        } catch let error as WheelhouseError where error.code == .conflict {
            // Another node of a cluster starting at the same moment bootstrapped first.
            return nil
        }
        // A configured token is someone else's secret: no part of it is kept, not even for lists.
        let id = UUID().uuidString.lowercased()
        try await metadata.createToken(TokenRecord(
            id: id, userID: admin.id, userName: admin.name, name: "bootstrap",
            hash: TokenHash.hash(token), prefix: configuredToken == nil ? TokenRecord.publicPrefix(id: id) : "",
            scopes: nil, expiresAt: nil, createdAt: Date()))
        if configuredToken != nil {
            logger.info("admin account created with the token from WHEELHOUSE_ADMIN_TOKEN")
            return nil
        }
        let path = dataDirectory + "/admin-token"
        // The token is shown only once: failing to keep it is an error, not something to skip.
        guard FileManager.default.createFile(atPath: path, contents: Data((token + "\n").utf8), attributes: [.posixPermissions: 0o600]) else {
            throw WheelhouseError(.internalError, "cannot write the admin token to \(path)")
        }
        return token
    }
}
