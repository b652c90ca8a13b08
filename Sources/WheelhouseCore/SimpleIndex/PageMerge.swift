import PythonPackaging

/// Merging the pages of a virtual repository's members: first member wins per filename, every
/// file keeps all its attributes (hashes, yanked, core-metadata, upload-time), `versions` are the
/// union in PEP 440 order.
public enum PageMerge {
    public static func merge(_ pages: [ProjectPage]) -> ProjectPage? {
        guard let first = pages.first else { return nil }
        var seen = Set<String>()
        var files: [IndexFile] = []
        var versions = Set<String>()
        for page in pages {
            for file in page.files where seen.insert(file.filename).inserted {
                files.append(file)
            }
            versions.formUnion(page.versions)
        }
        return ProjectPage(
            name: first.name, files: files, versions: RemotePage.sorted(Array(versions)), status: first.status,
            statusReason: first.statusReason)
    }

    /// The dependency-confusion guard: may remote members be consulted for `project`?
    /// Not when a local member has it, unless the project matches one of `allowRemote`'s patterns.
    public static func remoteAllowed(project: String, localHasIt: Bool, allowRemote: [String]) -> Bool {
        guard localHasIt else { return true }
        return allowRemote.contains { Glob.matches(ProjectName.normalize($0), project) }
    }
}
