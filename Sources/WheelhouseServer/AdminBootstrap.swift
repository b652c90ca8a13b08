import Foundation
import Logging
import WheelhouseCore

/// Creates the admin account on an empty store.
enum AdminBootstrap {
    /// - Returns: the token when one was generated here (so the caller can print it once).
    static func run(metadata: any MetadataStore, configuredToken: String?, dataDirectory: String, logger: Logger) async throws -> String? {
        let token = configuredToken ?? TokenHash.generate()
        let created = try await metadata.bootstrapAdmin(tokenHash: TokenHash.hash(token), tokenPrefix: String(token.prefix(8)))
        guard created else { return nil }
        if configuredToken != nil {
            logger.info("admin account created with the token from WHEELHOUSE_ADMIN_TOKEN")
            return nil
        }
        let path = dataDirectory + "/admin-token"
        FileManager.default.createFile(atPath: path, contents: Data((token + "\n").utf8), attributes: [.posixPermissions: 0o600])
        return token
    }
}
