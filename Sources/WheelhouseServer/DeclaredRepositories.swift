import Foundation
import Logging
import WheelhouseCore

/// Applies the repositories a configuration file declares: created or updated at start, idempotently,
/// and marked as declared so the API refuses to change them.
public enum DeclaredRepositories {
    /// - Returns: the names created and the names updated.
    @discardableResult
    public static func apply(
        _ declared: [ConfigFile.DeclaredRepository], file: String, metadata: any MetadataStore, secrets: SecretBox,
        environment: [String: String], logger: Logger
    ) async throws -> (created: [String], updated: [String]) {
        var created: [String] = [], updated: [String] = []
        // Members first: locals and remotes, then virtuals in the order given.
        let ordered = declared.filter { $0.type != "virtual" } + declared.filter { $0.type == "virtual" }
        for entry in ordered {
            try RepositoryName.validate(entry.name)
            guard let kind = Repository.Kind(rawValue: entry.type) else {
                throw WheelhouseError.badRequest("\(file): repository '\(entry.name)' has unknown type '\(entry.type)'")
            }
            let password = entry.passwordEnv.flatMap { environment[$0] }
            if let env = entry.passwordEnv, password == nil {
                throw WheelhouseError.badRequest("\(file): repository '\(entry.name)' reads its password from $\(env), which is not set")
            }
            let definition = RepositoryDefinition(
                name: entry.name, kind: kind, anonymousRead: entry.anonymousRead, url: entry.url, metadataTTL: entry.metadataTTL,
                negativeTTL: entry.negativeTTL, offline: entry.offline, username: entry.username, password: password,
                members: entry.members, deployTo: entry.deployTo, allowRemote: entry.allowRemote)
            var settings: RepositorySettings
            do {
                settings = try await definition.validatedSettings(metadata: metadata, secrets: secrets)
            } catch let error as WheelhouseError {
                throw WheelhouseError.badRequest("\(file): repository '\(entry.name)': \(error.message)")
            }
            settings.declaredIn = file
            if var existing = try await metadata.repository(named: entry.name) {
                guard existing.kind == kind else {
                    throw WheelhouseError.badRequest("\(file): repository '\(entry.name)' exists as \(existing.kind.rawValue), not \(kind.rawValue)")
                }
                // Sealing draws a fresh nonce: the same password keeps its stored form, so an unchanged file changes nothing.
                if let stored = existing.settings.upstreamPassword, let password, SecretBox.isCurrent(stored),
                    (try? secrets.open(stored, repository: entry.name, url: settings.url)) == password
                {
                    settings.upstreamPassword = stored
                }
                if existing.settings != settings {
                    existing.settings = settings
                    try await metadata.updateRepository(existing)
                    updated.append(entry.name)
                    try await metadata.appendAudit(AuditEntry(actor: "config", action: "repository.update", repository: entry.name, details: ["file": file]))
                }
            } else {
                _ = try await metadata.createRepository(name: entry.name, kind: kind, settings: settings)
                created.append(entry.name)
                try await metadata.appendAudit(AuditEntry(
                    actor: "config", action: "repository.create", repository: entry.name, details: ["file": file, "type": kind.rawValue]))
            }
        }
        // Repositories this file declared before but no longer does become editable again (never deleted).
        let names = Set(declared.map(\.name))
        for var repo in try await metadata.repositories() where repo.settings.declaredIn == file && !names.contains(repo.name) {
            repo.settings.declaredIn = nil
            try await metadata.updateRepository(repo)
            updated.append(repo.name)
            try await metadata.appendAudit(AuditEntry(
                actor: "config", action: "repository.update", repository: repo.name, details: ["file": file, "declared": "false"]))
        }
        if !created.isEmpty || !updated.isEmpty {
            logger.info("declared repositories applied", metadata: ["created": "\(created)", "updated": "\(updated)", "file": "\(file)"])
        }
        return (created, updated)
    }
}
