import Foundation
@preconcurrency import Prometheus
import WheelhouseCore

/// The metrics behind `/metrics`, in the Prometheus text format.
public final class PrometheusTelemetry: Telemetry, @unchecked Sendable {
    public let registry = PrometheusCollectorRegistry()
    static let latencyBuckets: [Duration] = [
        .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10),
        .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1),
        .seconds(2.5), .seconds(5), .seconds(10), .seconds(30),
    ]

    public init() {}

    static func name(_ metric: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "wheelhouse", metricName: metric, unitName: unit, helpText: help)
    }

    static var requests: MetricNameDescriptor { name("http_requests", "total", "HTTP requests by route and status") }
    static var latency: MetricNameDescriptor { name("http_request_duration", "seconds", "Time to the response head, by route") }
    static var hits: MetricNameDescriptor { name("cache_hits", "total", "Pages and files served from what is stored") }
    static var misses: MetricNameDescriptor { name("cache_misses", "total", "Pages and files that had to come from the upstream") }
    static var fetches: MetricNameDescriptor { name("upstream_fetches", "total", "Upstream requests by kind and outcome") }
    static var bytes: MetricNameDescriptor { name("upstream_bytes", "total", "Bytes downloaded from upstreams") }
    static var waits: MetricNameDescriptor { name("lease_waits", "total", "Requests that waited for another holder's fetch") }
    static var takeovers: MetricNameDescriptor { name("lease_takeovers", "total", "Fetch leases taken over from a dead holder") }
    static var blobErrors: MetricNameDescriptor { name("blob_store_errors", "total", "Blob store operations that failed") }
    static var collectedBlobs: MetricNameDescriptor { name("gc_collected_blobs", "total", "Blobs deleted by the garbage collector") }
    static var collectedBytes: MetricNameDescriptor { name("gc_collected_bytes", "total", "Bytes freed by the garbage collector") }
    static var storageFull: MetricNameDescriptor { name("storage_full", "total", "Requests refused with 507 because the storage is full") }

    /// The per-request metrics, looked up once per (route, status): the registry's lookup builds the
    /// metric's name and label strings and takes its lock on every call (2% of a page request's CPU).
    private let perRequest = NSLock()
    private var requestMetrics: [RouteStatus: (requests: Counter, latency: DurationHistogram)] = [:]

    struct RouteStatus: Hashable {
        var route: String
        var status: Int
    }

    func request(route: String, status: Int, duration: Duration) {
        let key = RouteStatus(route: route, status: status)
        let metrics = perRequest.withLock { requestMetrics[key] } ?? {
            // The registry hands out the same metric for the same name and labels, so a race here is harmless.
            let made = (
                requests: registry.makeCounter(descriptor: Self.requests, labels: [("route", route), ("status", String(status))]),
                latency: registry.makeDurationHistogram(descriptor: Self.latency, labels: [("route", route)], buckets: Self.latencyBuckets))
            perRequest.withLock { requestMetrics[key] = made }
            return made
        }()
        metrics.requests.increment()
        metrics.latency.record(duration)
    }

    public func cacheHit(_ kind: String) { registry.makeCounter(descriptor: Self.hits, labels: [("kind", kind)]).increment() }
    public func cacheMiss(_ kind: String) { registry.makeCounter(descriptor: Self.misses, labels: [("kind", kind)]).increment() }
    public func upstreamFetch(_ kind: String, outcome: String) {
        registry.makeCounter(descriptor: Self.fetches, labels: [("kind", kind), ("outcome", outcome)]).increment()
    }
    public func upstreamBytes(_ count: Int) { registry.makeCounter(descriptor: Self.bytes).increment(by: Int64(count)) }
    public func leaseWait() { registry.makeCounter(descriptor: Self.waits).increment() }
    public func leaseTakeover() { registry.makeCounter(descriptor: Self.takeovers).increment() }
    public func blobStoreError(_ operation: String) {
        registry.makeCounter(descriptor: Self.blobErrors, labels: [("operation", operation)]).increment()
    }

    func blobsCollected(_ count: Int, bytes: Int64) {
        registry.makeCounter(descriptor: Self.collectedBlobs).increment(by: Int64(count))
        registry.makeCounter(descriptor: Self.collectedBytes).increment(by: bytes)
    }

    public func storageFull(_ route: String) {
        registry.makeCounter(descriptor: Self.storageFull, labels: [("route", route)]).increment()
    }

    func exposition() -> [UInt8] {
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        return buffer
    }
}
