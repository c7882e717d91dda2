import ChitieuDomain
import Foundation
import Testing

@Suite("Four eyes on approvals, without a database")
struct ResultFourEyesTests {
    @Test func theRefusalNamesWhatTheApproverDidToTheResult() {
        let me = UUID()
        let other = UUID()
        func hands(created: UUID?, edited: UUID?, submitted: UUID?) -> ResultRules.Hands {
            ResultRules.Hands(createdBy: created, lastEditedBy: edited, submittedBy: submitted)
        }
        #expect(ResultRules.fourEyesRefusal(hands(created: other, edited: other, submitted: other), approver: me) == nil)
        #expect(ResultRules.fourEyesRefusal(hands(created: nil, edited: nil, submitted: nil), approver: me) == nil)
        #expect(ResultRules.fourEyesRefusal(hands(created: me, edited: other, submitted: other), approver: me)?.hasPrefix("four eyes: you created") == true)
        #expect(ResultRules.fourEyesRefusal(hands(created: me, edited: me, submitted: other), approver: me)?.hasPrefix("four eyes: you created") == true)
        #expect(ResultRules.fourEyesRefusal(hands(created: other, edited: me, submitted: other), approver: me)?.hasPrefix("four eyes: you last changed the figures") == true)
        #expect(ResultRules.fourEyesRefusal(hands(created: other, edited: other, submitted: me), approver: me)?.hasPrefix("four eyes: you submitted") == true)
        // The operator, acting with no account, is not an officer of the level above.
        #expect(ResultRules.fourEyesRefusal(hands(created: me, edited: me, submitted: me), approver: nil) == nil)
    }
}
