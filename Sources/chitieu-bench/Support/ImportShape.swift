import ChitieuDomain
import ChitieuStore
import ChitieuWorkbook
import Foundation
import Postgres

/// The rows the import benchmark writes: a province's communes and the indicators they report,
/// every figure the indicator asks for (a breakdown and a companion figure split over their
/// categories), a column per category.
struct ImportShape {
    var communes: [(code: String, id: Int64)]
    var indicators: [Indicator]
    var header: [ImportColumn]

    /// Columns: unit, indicator, period, value, companion, note, then the categories.
    static let fixed: [ImportColumn] = [.unitCode, .indicatorCode, .period, .value, .companionValue, .evidenceNote]

    static func read(_ owner: ChitieuDatabase, province: Int64) async throws -> ImportShape {
        let indicators = try await IndicatorStore(database: owner).list(province: province)
            .filter { $0.status != "suspended" && $0.draft.reportingLevels.contains(.commune) }
        let communes = try await owner.withTenant(province) { tx in
            try await tx.query(
                """
                SELECT code, unit_id FROM chitieu.admin_unit
                WHERE province_id = \(province) AND level = 'commune' AND valid_from <= '2025-01-01' AND (valid_to IS NULL OR valid_to >= '2025-12-31')
                ORDER BY code
                """
            ).map { (try $0.decode(String.self, at: 0), try $0.decode(Int64.self, at: 1)) }
        }
        var header = fixed
        for companion in [false, true] {
            var seen: Set<String> = []
            for indicator in indicators {
                let dimensions = (companion ? indicator.draft.companionDisaggregation : indicator.draft.disaggregation) ?? [:]
                for (dimension, categories) in dimensions.sorted(by: { $0.key < $1.key }) {
                    for category in categories where seen.insert("\(dimension).\(category)").inserted {
                        header.append(.category(dimension, category, companion: companion))
                    }
                }
            }
        }
        return ImportShape(communes: communes, indicators: indicators, header: header)
    }

    /// A count split over categories: each its share, the first the rest.
    static func split(_ total: Int, _ dimensions: [String: [String]]?) -> [String: [String: Int]]? {
        guard let dimensions, !dimensions.isEmpty else { return nil }
        return dimensions.mapValues { categories in
            var counts: [String: Int] = [:]
            for category in categories.dropFirst() { counts[category] = total / categories.count }
            counts[categories[0]] = total - (total / categories.count) * (categories.count - 1)
            return counts
        }
    }

    /// The figures of row `i` of an indicator.
    func figures(_ indicator: Indicator, value: Int, note: String) -> ResultFigures {
        let companion = indicator.draft.companionMeasure == nil ? nil : value * 9
        return ResultFigures(
            value: value, breakdown: Self.split(value, indicator.draft.disaggregation), companionValue: companion,
            companionBreakdown: companion.flatMap { Self.split($0, indicator.draft.companionDisaggregation) }, evidenceNote: note)
    }

    /// `count` distinct rows: commune by commune, indicator by indicator, then (with `months`) month
    /// by month of 2025, then again with another note; without months, the year 2025.
    func rows(count: Int, tag: String, months: Bool) -> [[Cell]] {
        let block = communes.count * indicators.count
        return (0..<count).map { i in
            let commune = communes[i % communes.count]
            let indicator = indicators[(i / communes.count) % indicators.count]
            let period = months ? String(format: "2025-%02d", (i / block) % 12 + 1) : "2025"
            let round = months ? i / (block * 12) : i / block
            let figures = figures(indicator, value: i % 5 + 1, note: "\(tag) \(round)")
            var cells: [Cell] = [
                .text(commune.code), .text(indicator.draft.code), .text(period), .integer(figures.value),
                figures.companionValue.map(Cell.integer) ?? .empty, .text(figures.evidenceNote ?? ""),
            ]
            for column in header.dropFirst(Self.fixed.count) {
                let parts = column.key.split(separator: ".", maxSplits: 2).map(String.init)
                let breakdown = parts[0] == "breakdown" ? figures.breakdown : figures.companionBreakdown
                cells.append(breakdown?[parts[1]]?[parts[2]].map(Cell.integer) ?? .empty)
            }
            return cells
        }
    }

    /// A row's indicator and unit ids, its period and its figures.
    func parts(_ row: [Cell]) -> (indicator: Int64, unit: Int64, period: ReportingPeriod, figures: ResultFigures) {
        func text(_ cell: Cell) -> String {
            switch cell {
            case .text(let text): text
            case .integer(let value): String(value)
            default: ""
            }
        }
        let indicator = indicators.first { $0.draft.code == text(row[1]) }!
        let unit = communes.first { $0.code == text(row[0]) }!
        guard case .integer(let value) = row[3] else { fatalError("a row of the benchmark without a value") }
        return (indicator.id, unit.id, ReportingPeriod(code: text(row[2]))!, figures(indicator, value: value, note: text(row[5])))
    }

    /// The rows as COPY writes them into chitieu.result.
    func copyRows(_ rows: [[Cell]], province: Int64) -> [[String?]] {
        rows.map { row in
            let (indicator, unit, period, figures) = parts(row)
            return [
                String(province), String(indicator), String(unit), period.start.description, period.end.description, String(figures.value),
                figures.breakdown.map { JSONText.string($0) }, figures.companionValue.map(String.init),
                figures.companionBreakdown.map { JSONText.string($0) }, figures.evidenceNote, "submitted", nil,
            ]
        }
    }
}
