import NIOCore
import Testing
@testable import WheelhouseServer

/// The pure state machine behind the connection timeouts: fed events, it answers the deadline.
@Suite struct ConnectionDeadlinesTests {
    let limits = ConnectionLimits(headerTimeout: .seconds(30), idleTimeout: .seconds(75))
    let t0 = NIODeadline.uptimeNanoseconds(1_000_000_000)

    func at(_ seconds: Int64) -> NIODeadline { t0 + .seconds(seconds) }

    @Test func newConnectionMustSendItsHeadInTheHeaderTimeout() {
        var d = ConnectionDeadlines(limits: limits, openedAt: t0)
        #expect(d.deadline == at(30))
        d.bytesRead(at: at(1))   // trickling bytes do not extend it
        d.bytesRead(at: at(20))
        #expect(d.deadline == at(30))
        #expect(d.reason == "request head not complete in time")
    }

    @Test func keptAliveConnectionGetsTheIdleTimeoutThenTheHeaderTimeoutFromItsFirstByte() {
        var d = ConnectionDeadlines(limits: limits, openedAt: t0)
        d.headReceived()
        d.requestEnded()
        #expect(d.deadline == nil)   // responding: no deadline, however slow the reader
        d.responseEnded(at: at(5))
        #expect(d.deadline == at(80))
        #expect(d.reason == "idle keep-alive connection")
        d.bytesRead(at: at(50))
        #expect(d.deadline == at(80))   // 50 + 30
        d.bytesRead(at: at(60))
        #expect(d.deadline == at(80))
    }

    @Test func aBodyIsBoundedOnlyWhileTheServerWaitsForIt() {
        var d = ConnectionDeadlines(limits: limits, openedAt: t0)
        d.headReceived()
        #expect(d.deadline == nil)   // the handler has not asked for bytes yet
        d.readRequested(at: at(1))
        #expect(d.deadline == at(76))
        d.readRequested(at: at(2))   // still the first pending read that counts
        #expect(d.deadline == at(76))
        d.bytesRead(at: at(3))       // progress: no deadline until the next read request
        #expect(d.deadline == nil)
        d.readRequested(at: at(100))
        #expect(d.deadline == at(175))
        #expect(d.reason == "request body stalled")
        d.requestEnded()
        #expect(d.deadline == nil)
    }

    @Test func pipelinedRequestsKeepTheConnectionBusyUntilTheLastResponse() {
        var d = ConnectionDeadlines(limits: limits, openedAt: t0)
        d.headReceived(); d.requestEnded()
        d.headReceived(); d.requestEnded()
        d.responseEnded(at: at(1))
        #expect(d.deadline == nil)
        d.responseEnded(at: at(2))
        #expect(d.deadline == at(77))
    }
}
