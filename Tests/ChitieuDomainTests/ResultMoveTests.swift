import ChitieuDomain
import Foundation
import Testing

@Suite("A result's moves decided without a database: who, in which state, at which version, by which rules")
struct ResultMoveTests {
    // Province 7: its unit 1, district 10, commune 100.
    static let path: [Int64] = [1, 10, 100]
    static let commune = Principal(provinceID: 7, grants: [RoleAssignment(role: .commune, unitID: 100)])
    static let district = Principal(provinceID: 7, grants: [RoleAssignment(role: .district, unitID: 10)])
    static let province = Principal(provinceID: 7, grants: [RoleAssignment(role: .province, unitID: 1)])
    static let stranger = Principal(provinceID: 8, grants: [RoleAssignment(role: .province, unitID: 2)])
    static let reporter = UUID()
    static let today = CalendarDate(year: 2025, month: 6, day: 30)

    static func standing(
        _ state: ResultRules.State, version: Int = 3, ended: Bool = false, closesOn: CalendarDate = CalendarDate(year: 2099, month: 1, day: 25),
        reopenedFor: Set<Int64> = [], approvedAt: [Int64]? = nil
    ) -> ResultRules.Standing {
        ResultRules.Standing(
            state: state, version: version,
            unit: FoundUnit(
                id: 100, level: .commune, code: "00100", name: "Xã A", validFrom: CalendarDate(year: 2021, month: 1, day: 1),
                validTo: ended ? CalendarDate(year: 2025, month: 6, day: 30) : nil, ended: ended),
            path: path, hands: ResultRules.Hands(createdBy: reporter, lastEditedBy: reporter, submittedBy: reporter), approvedAt: approvedAt,
            indicator: ResultRules.IndicatorRules(
                code: "DA8-01", reportingLevels: ["commune"], disaggregation: nil, companionMeasure: nil, suspendedFrom: nil, companionDisaggregation: nil),
            deadline: ResultRules.Deadline(year: 2025, closesOn: closesOn, reopenedFor: reopenedFor), today: today)
    }

    static func decide(
        _ request: ResultRules.Request, _ standing: ResultRules.Standing, by principal: Principal, account: UUID? = UUID(), version: Int? = nil
    ) -> Result<ResultRules.Verdict, ResultRules.MoveRefusal> {
        ResultRules.decide(request, expectedVersion: version, on: standing, by: principal, account: account, provinceID: 7)
    }

    @Test func theLevelAboveApprovesASubmittedResultAtTheVersionItReviewed() throws {
        let verdict = try Self.decide(.approve, Self.standing(.submitted), by: Self.district, version: 3).get()
        #expect(verdict.next == .approved && verdict.decidingUnit == 10)
        #expect(try Self.decide(.approve, Self.standing(.submitted), by: .`operator`, account: nil).get().decidingUnit == nil)
        #expect(Self.decide(.approve, Self.standing(.submitted), by: Self.district, version: 2) == .failure(.staleVersion(expected: 2, current: 3)))
        #expect(Self.decide(.approve, Self.standing(.submitted), by: Self.district, account: Self.reporter) == .failure(
            .forbidden("four eyes: you submitted this result, so you do not approve it; another officer of the level above does")))
    }

    @Test func refusalsComeInTheOrderACallerLearnsOfThem() {
        // Out of scope first, whatever else is wrong.
        #expect(Self.decide(.approve, Self.standing(.draft, ended: true), by: Self.stranger, version: 1) == .failure(.notFound))
        // Then the policy: a commune reports, it does not decide.
        #expect(Self.decide(.approve, Self.standing(.draft, ended: true), by: Self.commune, version: 1) == .failure(.notAllowed(.decideResult)))
        // Then an ended unit, then the state, then the version.
        guard case .failure(.conflict("unit_id", let ended)) = Self.decide(.approve, Self.standing(.draft, ended: true), by: Self.district, version: 1)
        else { Issue.record("an ended unit's result was not refused first"); return }
        #expect(ended == "00100 Xã A ended on 2025-06-30; its results are history and read only")
        #expect(Self.decide(.approve, Self.standing(.draft), by: Self.district, version: 1)
            == .failure(.conflict(field: "state", reason: "a draft result cannot be approved")))
        #expect(Self.decide(.giveBack(reason: "thiếu"), Self.standing(.approved), by: Self.district)
            == .failure(.conflict(field: "state", reason: "a approved result cannot be returned")))
    }

    @Test func aClosedYearRefusesEntriesAndSubmissionsUnlessReopenedAbove() throws {
        let closed = CalendarDate(year: 2025, month: 1, day: 25)
        let refusal = ResultRules.MoveRefusal.conflict(
            field: "period_end", reason: "results of 2025 closed on 2025-01-25; the province can reopen reporting for this unit")
        #expect(Self.decide(.submit, Self.standing(.draft, closesOn: closed), by: Self.commune) == .failure(refusal))
        let update = ResultRules.Request.update(
            start: CalendarDate(year: 2025, month: 1, day: 1), end: CalendarDate(year: 2025, month: 3, day: 31), figures: ResultFigures(value: 2))
        #expect(Self.decide(update, Self.standing(.returned, closesOn: closed), by: Self.commune) == .failure(refusal))
        #expect(try Self.decide(.submit, Self.standing(.draft, closesOn: closed, reopenedFor: [10]), by: Self.commune).get().next == .submitted)
        #expect(try Self.decide(update, Self.standing(.draft, closesOn: closed, reopenedFor: [100]), by: Self.commune).get().next == .draft)
        // Reopened for another unit, or closed on the last day only: no change.
        #expect(Self.decide(.submit, Self.standing(.draft, closesOn: closed, reopenedFor: [11]), by: Self.commune) == .failure(refusal))
        #expect(try Self.decide(.submit, Self.standing(.draft, closesOn: Self.today), by: Self.commune).get().next == .submitted)
        // Decisions are not held by the deadline.
        #expect(try Self.decide(.approve, Self.standing(.submitted, closesOn: closed), by: Self.district).get().next == .approved)
        #expect(ResultRules.Deadline.defaultClosing(of: 2024) == CalendarDate(year: 2025, month: 1, day: 25))
    }

    @Test func anUpdateAndACorrectionAreHeldToTheIndicatorsRules() {
        let future = ResultRules.Request.update(
            start: CalendarDate(year: 2025, month: 7, day: 1), end: CalendarDate(year: 2025, month: 9, day: 30), figures: ResultFigures(value: 2))
        #expect(Self.decide(future, Self.standing(.draft), by: Self.commune) == .failure(.input(field: "period_end", reason: "2025-09-30 is in the future")))
        #expect(Self.decide(.correct(ResultFigures(value: -1), reason: "sửa"), Self.standing(.approved), by: Self.district)
            == .failure(.input(field: "value", reason: "must be a whole number from 0 to 10000000")))
        // Approved by the province: the district does not correct it, the province does.
        let approvedAbove = Self.standing(.approved, approvedAt: [1])
        #expect(Self.decide(.correct(ResultFigures(value: 4), reason: "sửa"), approvedAbove, by: Self.district)
            == .failure(.forbidden("this result was approved above your level; that level or one above it corrects it")))
        #expect((try? Self.decide(.correct(ResultFigures(value: 4), reason: "sửa"), approvedAbove, by: Self.province).get().next) == .approved)
    }
}
