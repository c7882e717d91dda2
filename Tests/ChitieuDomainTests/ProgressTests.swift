import ChitieuDomain
import Testing

@Suite("Completion arithmetic, without a database")
struct ProgressTests {
    // province 1 → districts 10, 20 → communes 101, 102 (in 10), 201 (in 20)
    let parents: [Int64: Int64?] = [1: nil, 10: 1, 20: 1, 101: 10, 102: 10, 201: 20]

    @Test func flowSumsEveryResultOfThePeriod() {
        let observations = [
            Observation(unitID: 101, periodEnd: 20230331, value: 2), Observation(unitID: 101, periodEnd: 20230630, value: 3),
            Observation(unitID: 102, periodEnd: 20231231, value: 4), Observation(unitID: 10, periodEnd: 20230930, value: 1),
        ]
        let levels = Progress.levels(observations, kind: .flow)
        #expect(levels == [101: 5, 102: 4, 10: 1])
        let achieved = Progress.rollUp(levels, parents: parents)
        #expect(achieved == [1: 10, 10: 10, 20: 0, 101: 5, 102: 4, 201: 0])
    }

    @Test func stockTakesEachUnitsLatestLevelThenSums() {
        let observations = [
            Observation(unitID: 101, periodEnd: 20230331, value: 2), Observation(unitID: 101, periodEnd: 20231231, value: 3),
            Observation(unitID: 101, periodEnd: 20230630, value: 9),
            // Same period end: the later decision wins.
            Observation(unitID: 201, periodEnd: 20231231, sequence: 1, value: 4), Observation(unitID: 201, periodEnd: 20231231, sequence: 2, value: 6),
        ]
        let levels = Progress.levels(observations, kind: .stock)
        #expect(levels == [101: 3, 201: 6])
        #expect(Progress.rollUp(levels, parents: parents) == [1: 9, 10: 3, 20: 6, 101: 3, 102: 0, 201: 6])
    }

    @Test func aParentsRateIsItsOwnAchievedOverItsOwnTargetNotAMeanOfRates() {
        // Commune 101: 5 of 5 (100%); commune 102: 0 of 15 (0%); the district: 5 of 20 = 25%, not 50%.
        let achieved = Progress.rollUp([101: 5], parents: parents)
        #expect(Progress.rate(achieved: achieved[10]!, target: 20) == 0.25)
        #expect(Progress.rate(achieved: 3, target: nil) == nil)
        #expect(Progress.rate(achieved: 3, target: 0) == nil)
    }

    @Test func statusFollowsTargetsTheElapsedShareAndSuspension() {
        #expect(Progress.status(achieved: 424, target: 424, elapsedShare: 1, suspended: false) == .completed)
        #expect(Progress.status(achieved: 500, target: 424, elapsedShare: 0.2, suspended: false) == .completed)
        #expect(Progress.status(achieved: 50, target: 100, elapsedShare: 0.5, suspended: false) == .onTrack)
        #expect(Progress.status(achieved: 49, target: 100, elapsedShare: 0.5, suspended: false) == .behind)
        #expect(Progress.status(achieved: 0, target: 100, elapsedShare: 0, suspended: false) == .onTrack)
        #expect(Progress.status(achieved: 99, target: 100, elapsedShare: 1, suspended: false) == .behind)
        #expect(Progress.status(achieved: 7, target: nil, elapsedShare: 0.5, suspended: false) == .noTarget)
        #expect(Progress.status(achieved: 7, target: 0, elapsedShare: 0.5, suspended: false) == .noTarget)
        #expect(Progress.status(achieved: 424, target: 424, elapsedShare: 1, suspended: true) == .suspended)
    }

    @Test func elapsedShareOfAPhaseAndOfAYear() {
        #expect(Progress.elapsedShare(first: 2021, last: 2025, year: 2020, dayOfYear: 100, daysInYear: 365) == 0)
        #expect(Progress.elapsedShare(first: 2021, last: 2025, year: 2026, dayOfYear: 1, daysInYear: 365) == 1)
        #expect(Progress.elapsedShare(first: 2021, last: 2025, year: 2023, dayOfYear: 365, daysInYear: 365) == 0.6)
        #expect(Progress.elapsedShare(first: 2023, last: 2023, year: 2023, dayOfYear: 73, daysInYear: 365) == 0.2)
    }
}
