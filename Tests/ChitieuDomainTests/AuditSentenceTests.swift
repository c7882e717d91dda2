import ChitieuDomain
import Testing

@Suite struct AuditSentenceTests {
    @Test func anApprovalReadsAsTheIssueSaysIt() {
        let event = AuditSentence(
            action: "result.approve", entityType: "result", entityID: "0b0e",
            before: #"{"value": 3, "period_start": "2025-10-01", "period_end": "2025-12-31", "state": "submitted"}"#,
            after: #"{"value": 3, "period_start": "2025-10-01", "period_end": "2025-12-31", "state": "approved"}"#,
            actorName: "Lò Thị Hoà", unitName: "Xã A Mú Sung", measureUnit: "tổ")
        #expect(event.text(in: .vi) == "Lò Thị Hoà đã duyệt kết quả 3 tổ của Xã A Mú Sung (quý IV/2025)")
        #expect(event.text(in: .en) == "Lò Thị Hoà approved the result 3 tổ of Xã A Mú Sung (Q4 2025)")
    }

    @Test func numbersAndDatesAreWrittenAsEachLanguageWritesThem() {
        let target = AuditSentence(
            action: "target.set", entityType: "target", entityID: "CT01/2026-2030/10/2027", after: #"{"value": 3816, "locked": true}"#,
            actorName: "Vàng A Dế", unitName: "Tỉnh Lào Cai", measureUnit: "người")
        #expect(target.text(in: .vi) == "Vàng A Dế đã đặt chỉ tiêu CT01 3.816 người của Tỉnh Lào Cai (năm 2027), khoá")
        #expect(target.text(in: .en) == "Vàng A Dế set the target CT01 3,816 người of Tỉnh Lào Cai (year 2027), locked")
        let deadline = AuditSentence(
            action: "deadline.set", entityType: "reporting_deadline", entityID: "2025", after: #"{"closes_on": "2026-01-15"}"#, actorName: "An")
        #expect(deadline.text(in: .vi) == "An đã đặt hạn báo cáo năm 2025: hạn 15/01/2026")
        #expect(deadline.text(in: .en) == "An set the reporting deadline of 2025: closes on 2026-01-15")
    }

    @Test func aReturnSaysWhy() {
        let event = AuditSentence(
            action: "result.return", entityType: "result", entityID: "x",
            after: #"{"value": 12, "period_start": "2025-01-01", "period_end": "2025-12-31", "return_reason": "Thiếu minh chứng"}"#,
            actorName: "Hoà", unitName: "Xã B", measureUnit: "câu lạc bộ")
        #expect(event.text(in: .vi) == "Hoà đã trả lại kết quả 12 câu lạc bộ của Xã B (năm 2025): “Thiếu minh chứng”")
    }

    @Test(arguments: AuditSentence.knownActions)
    func everyActionTheStoreWritesHasItsOwnSentence(action: String) {
        let event = AuditSentence(
            action: action, entityType: "thing", entityID: "E1", before: #"{"role": "district", "username": "u"}"#,
            after: #"{"value": 1, "role": "district", "username": "u", "district_allocation": true}"#, actorName: "Người A",
            unitName: "Xã C")
        for language in Language.allCases {
            let text = event.text(in: language)
            #expect(text.hasPrefix("Người A"))
            // The plain fallback names the action code; a known action never does.
            #expect(!text.contains(action), "\(action) in \(language) fell back to the plain sentence: \(text)")
        }
        #expect(event.text(in: .vi) != event.text(in: .en) || action.isEmpty)
    }

    @Test func anUnknownActionFallsBackToAPlainSentence() {
        let event = AuditSentence(action: "widget.polish", entityType: "widget", entityID: "7", actorName: "cli:widget polish")
        #expect(event.text(in: .vi) == "cli:widget polish: widget.polish widget 7")
        #expect(event.text(in: .en) == "cli:widget polish: widget.polish widget 7")
    }

    @Test func badJSONInTheLogStillGivesASentence() {
        let event = AuditSentence(action: "result.approve", entityType: "result", entityID: "x", after: "not json", actorName: "A")
        #expect(event.text(in: .vi) == "A đã duyệt kết quả")
    }
}
