import PythonPackaging

/// The checks of a legacy upload, in the order Warehouse (`warehouse/forklift/`) applies them,
/// so clients get the messages they expect. Pure: the HTTP layer feeds it what it streamed.
public struct ValidatedUpload: Sendable {
    public var filename: DistributionFilename
    public var normalizedName: String
    /// The display name: the form's `name`, else the filename's.
    public var displayName: String
    public var version: String
    public var packageType: String
}

public enum UploadValidation {
    /// Checks the form and the filename before the metadata is read.
    public static func validate(form: UploadForm, filename rawFilename: String, digests: DistributionDigests) throws(WheelhouseError) -> ValidatedUpload {
        if let action = form.value(":action"), action != "file_upload" {
            throw .badRequest("unsupported :action '\(action)': only file_upload is accepted")
        }
        if let protocolVersion = form.value("protocol_version"), protocolVersion != "1" {
            throw .badRequest("unsupported protocol_version '\(protocolVersion)'")
        }
        let filename: DistributionFilename
        do {
            filename = try DistributionFilename.validateForUpload(rawFilename)
        } catch let error as PackagingError {
            throw .badRequest(error.message)
        } catch {
            throw .badRequest("invalid filename '\(rawFilename)'")
        }

        // Digests: every digest the client sent must match (PROTOCOL.md: a mismatch names the digest).
        if let sent = form.value("sha256_digest"), !DigestComparison.hexMatches(sent: sent, actualHex: digests.sha256) {
            throw .badRequest("sha256_digest does not match the uploaded file: sent \(sent), received \(digests.sha256)")
        }
        if let sent = form.value("blake2_256_digest"), !DigestComparison.hexMatches(sent: sent, actualHex: digests.blake2b256) {
            throw .badRequest("blake2_256_digest does not match the uploaded file: sent \(sent), received \(digests.blake2b256)")
        }
        if let sent = form.value("md5_digest"), !DigestComparison.md5Matches(sent: sent, actualHex: digests.md5) {
            throw .badRequest("md5_digest does not match the uploaded file")
        }

        let displayName = form.value("name") ?? filename.project
        let normalized = ProjectName.normalize(displayName)
        guard ProjectName.isValid(displayName) else {
            throw .badRequest("invalid project name '\(displayName)': a name is ASCII letters, digits, '.', '_' and '-' (PEP 508)")
        }
        guard normalized == filename.normalizedProject else {
            throw .badRequest("the filename '\(rawFilename)' does not match the project name '\(displayName)'")
        }
        let version = form.value("version") ?? filename.version
        guard let formVersion = try? Version(version) else {
            throw .badRequest("invalid version '\(version)': not a PEP 440 version")
        }
        guard let fileVersion = try? Version(filename.version), fileVersion == formVersion else {
            throw .badRequest("the filename '\(rawFilename)' does not match the version '\(version)'")
        }

        let expectedType = filename.kind.rawValue
        if let filetype = form.value("filetype"), filetype != expectedType {
            throw .badRequest("filetype '\(filetype)' does not match the filename '\(rawFilename)' (\(expectedType))")
        }
        guard filename.kind == .wheel || filename.kind == .sdist else {
            throw .badRequest("invalid distribution type for '\(rawFilename)': only wheels and sdists are accepted")
        }
        return ValidatedUpload(
            filename: filename, normalizedName: normalized, displayName: displayName,
            version: formVersion.description, packageType: expectedType
        )
    }

    /// Checks the archive's own metadata against the upload.
    public static func validate(metadata: CoreMetadata, for upload: ValidatedUpload) throws(WheelhouseError) {
        // PEP 508 names are ASCII: a look-alike (the Kelvin sign K, U+212A, lower-cases to `k`)
        // would otherwise normalize to the real project and become its display name.
        if let name = metadata.name, !ProjectName.isValid(name) {
            throw .badRequest("invalid project name '\(name)' in the distribution's metadata: a name is ASCII letters, digits, '.', '_' and '-' (PEP 508)")
        }
        guard let name = metadata.name, ProjectName.normalize(name) == upload.normalizedName else {
            throw .badRequest("the distribution's metadata names project '\(metadata.name ?? "")', not '\(upload.displayName)'")
        }
        guard let v = metadata.version, let mv = try? Version(v), mv.description == upload.version else {
            throw .badRequest("the distribution's metadata has version '\(metadata.version ?? "")', not '\(upload.version)'")
        }
    }
}

extension UploadValidation {
    /// The stored file that `upload` would duplicate under another spelling of the same release,
    /// if any: same project (normalized), same PEP 440 version (`1.0` == `1.0.0`), and
    /// - for wheels, the same set of tags once compressed sets are expanded (`py3.py3-none-any` is
    ///   `py3-none-any`), whatever the build tag: a build tag would otherwise let a second file with
    ///   other bytes win pip's choice for the very same tags, which is replacing a released file;
    /// - for sdists, any other sdist: a release has one (as on the public index).
    ///
    /// Filenames that do not parse are never equivalent. Pure: the caller passes the filenames
    /// stored for the project.
    public static func equivalent(of upload: DistributionFilename, among stored: [String]) -> String? {
        guard let version = try? Version(upload.version) else { return nil }
        let tags = Set(upload.tags)
        for name in stored where name != upload.filename {
            guard let other = try? DistributionFilename(name, project: upload.normalizedProject),
                other.normalizedProject == upload.normalizedProject, other.kind == upload.kind,
                let otherVersion = try? Version(other.version), otherVersion == version
            else { continue }
            switch upload.kind {
            case .wheel where Set(other.tags) == tags: return name
            case .sdist: return name
            default: continue
            }
        }
        return nil
    }
}
