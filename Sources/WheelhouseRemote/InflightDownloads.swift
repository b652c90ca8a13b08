import Foundation
import WheelhouseCore

/// The node-local registry of downloads in flight, keyed by repository and filename: the first
/// request starts one, every concurrent request for the same file attaches to it.
public actor InflightDownloads {
    struct Key: Hashable {
        var repository: String
        var filename: String
    }

    private var downloads: [Key: InflightDownload] = [:]

    public init() {}

    /// The download of `filename` in `repository`: an existing one, or a new one run by `run`.
    /// The registration happens before any suspension, so concurrent callers always share one download.
    func attachOrStart(
        repository: String, filename: String, stagingPath: @autoclosure () -> String,
        run: @escaping @Sendable (InflightDownload) async -> Void
    ) -> InflightDownload {
        let key = Key(repository: repository, filename: filename)
        if let existing = downloads[key] { return existing }
        let download = InflightDownload(stagingPath: stagingPath())
        downloads[key] = download
        // Not tied to the first request: the download goes on for the other clients if it disconnects.
        Task {
            await run(download)
            self.finished(key)
        }
        return download
    }

    private func finished(_ key: Key) {
        downloads[key] = nil
    }
}
