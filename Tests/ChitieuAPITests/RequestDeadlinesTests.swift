@testable import ChitieuServer
import ChitieuTestSupport
import Testing

@Suite("Which deadline a connection's request is under")
struct RequestDeadlinesTests {
    @Test func theHeadThenTheBodyAreTimedAndAnAnswerIsNot() {
        let limits = HTTPConnectionLimits(idle: .seconds(60), head: .seconds(10), body: .seconds(30))
        var deadlines = RequestDeadlines(limits: limits)
        #expect(deadlines.bytesRead() == .start(.head, .seconds(10)))
        // More bytes of the same head do not restart its clock.
        #expect(deadlines.bytesRead() == .none)
        #expect(deadlines.headRead() == .start(.body, .seconds(30)))
        #expect(deadlines.bytesRead() == .none)
        #expect(deadlines.endRead() == .stop)
        #expect(deadlines.phase == .answering)
        // Bytes of a pipelined request while answering: the idle limit's business, not a head's.
        #expect(deadlines.bytesRead() == .none)
        #expect(deadlines.answerWritten() == .stop)
        #expect(deadlines.phase == .waiting)
        #expect(deadlines.bytesRead() == .start(.head, .seconds(10)))
    }

    @Test func aHeadDecodedWhileAnsweringStartsItsBodyClock() {
        var deadlines = RequestDeadlines(limits: HTTPConnectionLimits())
        _ = deadlines.bytesRead()
        _ = deadlines.headRead()
        _ = deadlines.endRead()
        #expect(deadlines.headRead() == .start(.body, .seconds(30)))
        // The earlier answer's end does not stop the later body's clock.
        #expect(deadlines.answerWritten() == .none)
        #expect(deadlines.endRead() == .stop)
    }
}
