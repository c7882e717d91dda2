import ChitieuDomain
import Foundation
import Testing

@Suite("Succession: values of units that ended, carried exactly to their successors")
struct SuccessionTests {
    let a: Int64 = 1, b: Int64 = 2, c: Int64 = 3, d: Int64 = 4

    @Test func aWholeLinkMovesEverythingAndASplitKeepsTheTotals() throws {
        let links = [
            SuccessionLink(from: a, to: d, toKey: "00004"),
            SuccessionLink(from: b, to: c, toKey: "00003", weight: 600_000), SuccessionLink(from: b, to: d, toKey: "00004", weight: 400_000),
        ]
        let series: [Int64: YearlySeries] = [
            a: YearlySeries(years: [1, 2, nil, 4, 0], phase: 7),
            b: YearlySeries(years: [3, 1, 4, 1, 5], phase: 14),
        ]
        let (carried, unplaced) = try Succession.carry(kind: .flow, series: series, links: links, current: [c, d])
        #expect(unplaced.isEmpty)
        // b's 14 split 60/40: 8.4 and 5.6 → 8 and 6 (floor or ceiling), summing to 14.
        #expect(carried[c]!.phase == 8)
        #expect(carried[d]!.phase == 7 + 6)
        for y in 0..<5 {
            let bYear = series[b]!.years[y]!
            let parts = (carried[c]!.years[y] ?? 0) + (carried[d]!.years[y] ?? 0) - (series[a]!.years[y] ?? 0)
            #expect(parts == bYear, "year \(y): the parts sum to the old value")
        }
        #expect(carried[c]!.years.compactMap { $0 }.reduce(0, +) == 8, "a part's years sum to its phase share (controlled rounding)")
        #expect([1, 2].contains(carried[d]!.years[2]!), "in a year a had nothing, d has b's share of 4 × 0.4 only")
    }

    @Test func everyCellIsTheFloorOrCeilingOfItsShareAndOrderDoesNotMatter() throws {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<300 {
            let parts = Int.random(in: 2...5, using: &generator)
            let weights = (0..<parts).map { _ in Int64.random(in: 1...1_000_000, using: &generator) }
            let links = (0..<parts).map { SuccessionLink(from: 1, to: Int64(10 + $0), toKey: String(format: "%05d", 10 + $0), weight: weights[$0]) }
            let years = (0..<5).map { _ in Int.random(in: 0...40, using: &generator) }
            let values = YearlySeries(years: years, phase: years.reduce(0, +))
            let out = try Succession.split(kind: .flow, values, among: links)
            let shuffled = try Succession.split(kind: .flow, values, among: links.reversed())
            #expect(out == shuffled.reversed(), "the same shares whatever the order of the links")
            let total = Double(weights.reduce(0, +))
            for (p, s) in out.enumerated() {
                let share = Double(values.phase!) * Double(weights[p]) / total
                #expect(Double(s.phase!) >= share.rounded(.down) - 1e-9 && Double(s.phase!) <= share.rounded(.up) + 1e-9)
                // As allocation rounds: each cell the floor or ceiling of the part's share of that year.
                for y in 0..<5 {
                    let cell = Double(years[y]) * Double(weights[p]) / total
                    #expect(Double(s.years[y]!) >= cell.rounded(.down) - 1e-9 && Double(s.years[y]!) <= cell.rounded(.up) + 1e-9)
                }
                #expect(s.years.compactMap { $0 }.reduce(0, +) == s.phase)
            }
            for y in 0..<5 { #expect(out.map { $0.years[y]! }.reduce(0, +) == years[y]) }
            #expect(out.map { $0.phase! }.reduce(0, +) == values.phase)
        }
    }

    @Test func stockLevelsAreSharedYearByYearAndEqualPartsByDefault() throws {
        let links = (0..<3).map { SuccessionLink(from: 1, to: Int64(10 + $0), toKey: "0001\($0)") }
        let out = try Succession.split(kind: .stock, YearlySeries(years: [nil, 10, 10, 11, 12], phase: 12), among: links)
        #expect(out.map { $0.years[1]! } == [4, 3, 3])
        #expect(out.map { $0.phase! } == [4, 4, 4])
        #expect(out.allSatisfy { $0.years[0] == nil }, "no level stays no level")
    }

    @Test func chainsAreFollowedAndUnitsWithoutSuccessorAreReported() throws {
        let links = [SuccessionLink(from: 1, to: 2, toKey: "00002"), SuccessionLink(from: 2, to: 3, toKey: "00003")]
        let (carried, unplaced) = try Succession.carry(
            kind: .flow, series: [1: YearlySeries(years: [5], phase: 5), 9: YearlySeries(years: [1], phase: 1)], links: links, current: [3])
        #expect(carried[3]!.phase == 5)
        #expect(unplaced.keys.sorted() == [9])
    }

    @Test func theSuccessionFileIsReadAndBadLinesNamed() throws {
        let rows = try SuccessionCSV.parse(Data("old_commune_code,new_commune_code,kind\n02959,02968,whole\n00007,00008,split-default\n00007,00025,split\n".utf8))
        #expect(rows.count == 3 && rows[1].kind == "split-default")
        #expect(throws: CSVFileError.self) { _ = try SuccessionCSV.parse(Data("old_commune_code,new_commune_code,kind\n02959,02968,moved\n".utf8)) }
        #expect(throws: CSVFileError.self) { _ = try SuccessionCSV.parse(Data("old_commune_code,new_commune_code,kind\n0295,02968,whole\n".utf8)) }
        #expect(throws: CSVFileError.self) {
            _ = try SuccessionCSV.parse(Data("old_commune_code,new_commune_code,kind\n00007,00008,whole\n00007,00025,split\n".utf8))
        }
        let real = try SuccessionCSV.parse(try Data(contentsOf: repositoryFile("Deploy/data/vn-admin-units/succession-2025.csv")))
        #expect(real.count == 10_597)
    }

    func repositoryFile(_ path: String) -> URL {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.appendingPathComponent(path)
    }
}
