import Dispatch
import Synchronization

/// When the S3 engine last answered one of our signed requests successfully (monotonic clock).
final class EngineHealth: Sendable {
    /// How long a successful answer vouches for the engine.
    static let window: UInt64 = 2_000_000_000
    private let lastAnswer = Atomic<UInt64>(0)

    func answered(at now: UInt64 = DispatchTime.now().uptimeNanoseconds) {
        lastAnswer.store(now, ordering: .relaxed)
    }

    func answeredRecently(now: UInt64 = DispatchTime.now().uptimeNanoseconds) -> Bool {
        let last = lastAnswer.load(ordering: .relaxed)
        return last != 0 && now >= last && now - last < Self.window
    }
}
