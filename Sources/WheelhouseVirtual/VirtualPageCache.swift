import Foundation
import WheelhouseCore

/// Merged pages of virtual repositories, kept per node so a page read does not re-read every member.
///
/// Keyed by the virtual and the members the reader may read (`VirtualMembers.cacheKey`), so one
/// reader's view never reaches another. Entries are dropped on any write to any repository (uploads,
/// yanks, deletes, settings, cache purges; in a cluster also on other nodes' writes) and expire when
/// the first remote member page they were built from goes stale.
public actor VirtualPageCache {
    struct Entry {
        var page: MergedPage
        var expiresAt: Date
    }

    private var entries: [String: Entry] = [:]
    private var generation: UInt64 = 0
    private let capacity: Int

    public init(capacity: Int = 10_000) {
        self.capacity = capacity
    }

    func get(_ key: String, _ project: String, now: Date) -> MergedPage? {
        guard let entry = entries[key + "\u{0}" + project], entry.expiresAt > now else { return nil }
        return entry.page
    }

    /// The generation to pass back to `put`, so a page built before an invalidation is not stored after it.
    func currentGeneration() -> UInt64 { generation }

    func put(_ key: String, _ project: String, _ page: MergedPage, expiresAt: Date, generation: UInt64) {
        guard generation == self.generation else { return }
        if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
        entries[key + "\u{0}" + project] = Entry(page: page, expiresAt: expiresAt)
    }

    public func invalidateAll() {
        generation &+= 1
        entries.removeAll(keepingCapacity: true)
    }
}

/// A virtual repository's page: rendered once, with the members that contributed to it.
public struct MergedPage: Sendable {
    public var page: StoredPage
    public var servedBy: [String]
    public var staleReason: String?
}
