public import ChitieuDomain
public import ChitieuWorkbook
public import Foundation
import Postgres

/// A file to fill in and import: the caller's units of a level and the indicators they report,
/// a row for each, the columns the import reads (a Vietnamese title and a key per column).
public struct ImportTemplate: Sendable {
    public var kind: ImportKind
    public var header: [ImportColumn]
    public var rows: [[Cell]]
    /// A file name without extension: `mau-ket-qua-2025-Q3-commune`.
    public var name: String

    public init(kind: ImportKind, header: [ImportColumn], rows: [[Cell]], name: String) {
        self.kind = kind
        self.header = header
        self.rows = rows
        self.name = name
    }

    /// A file format: xlsx or csv.
    public typealias Format = WorkbookReader.Format

    /// The file in a format: its bytes, media type and file name.
    public func file(_ format: Format) -> (data: Data, contentType: String, filename: String) {
        switch format {
        case .xlsx:
            let sheet = Workbook.Sheet(name: kind == .results ? "Kết quả" : "Chỉ tiêu", header: header.map(\.header), rows: rows)
            return (Workbook(sheets: [sheet]).data(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", name + ".xlsx")
        case .csv:
            return (CSVTable.data(header: header.map(\.header), rows: rows), "text/csv; charset=utf-8", name + ".csv")
        }
    }
}

extension ImportStore {
    /// The results template of a period for the units of a level in the caller's scope that exist
    /// during it, and the indicators that level reports (or those of `indicators`), not suspended
    /// before the period ends: one row per unit and indicator, the period filled in.
    public func resultsTemplate(
        province: Int64, period: ReportingPeriod, level: UnitLevel, indicators codes: [String]? = nil, caller: Caller
    ) async throws -> ImportTemplate {
        try await database.withTenant(province) { tx in
            let units = try await Self.templateUnits(level: level, from: period.start, to: period.end, caller: caller, tx: tx)
            let indicators = try await Self.templateIndicators(level: level, codes: codes, until: period.end, tx: tx)
            let breakdown = Self.categoryColumns(indicators.map(\.draft.disaggregation), companion: false)
            let companion = Self.categoryColumns(indicators.map(\.draft.companionDisaggregation), companion: true)
            let header: [ImportColumn] = [.unitCode, .unitName, .indicatorCode, .indicatorName, .period, .value] + breakdown
                + [.companionValue] + companion + [.evidenceNote]
            let blanks = [Cell](repeating: .empty, count: header.count - 5)
            let rows = units.flatMap { unit in
                indicators.map { [.text(unit.code), .text(unit.name), .text($0.draft.code), .text($0.draft.name), .text(period.code)] + blanks }
            }
            return ImportTemplate(kind: .results, header: header, rows: rows, name: "mau-ket-qua-\(period.code)-\(level.rawValue)")
        }
    }

    /// The targets template of a phase (and a year of it, or the phase's own targets) for the
    /// units of a level in the caller's scope during the phase: one row per unit and indicator,
    /// the stored target filled in.
    public func targetsTemplate(
        province: Int64, phase phaseCode: String, year: Int?, level: UnitLevel, indicators codes: [String]? = nil, caller: Caller
    ) async throws -> ImportTemplate {
        try await database.withTenant(province) { tx in
            let phase = try await tx.resolve.phase(phaseCode, year: year)
            let from = year.map { CalendarDate(year: $0, month: 1, day: 1) } ?? phase.start
            let to = year.map { CalendarDate(year: $0, month: 12, day: 31) } ?? phase.end
            let units = try await Self.templateUnits(level: level, from: from, to: to, caller: caller, tx: tx)
            let indicators = try await Self.templateIndicators(level: nil, codes: codes, until: from, tx: tx)
            let cells = try await Self.cells(phase: phase, tx: tx)
            let header: [ImportColumn] = [.unitCode, .unitName, .indicatorCode, .indicatorName, .year, .target]
            let rows: [[Cell]] = units.flatMap { unit in
                indicators.map { indicator in
                    let stored = cells[CellKey(indicator: indicator.id, unit: unit.id, year: year)]
                    return [.text(unit.code), .text(unit.name), .text(indicator.draft.code), .text(indicator.draft.name),
                            year.map(Cell.integer) ?? .empty, stored.map { .integer($0.value) } ?? .empty]
                }
            }
            return ImportTemplate(kind: .targets, header: header, rows: rows, name: "mau-chi-tieu-\(phase.code)-\(year.map(String.init) ?? "giai-doan")-\(level.rawValue)")
        }
    }

    /// The units of a level in the caller's scope that exist on some day from `from` to `to`, by code.
    static func templateUnits(
        level: UnitLevel, from: CalendarDate, to: CalendarDate, caller: Caller, tx: TenantTransaction
    ) async throws -> [(id: Int64, code: String, name: String)] {
        let scope = try await Access.scope(try await Access.scopeRoots(caller, unit: nil, tx: tx), tx: tx)
        return try await tx.query(
            """
            SELECT unit_id, code, name FROM chitieu.admin_unit
            WHERE province_id = \(tx.provinceID) AND level = \(level.rawValue) AND unit_id = ANY(\(scope.ids)::bigint[])
              AND valid_from <= \(to) AND (valid_to IS NULL OR valid_to >= \(from))
            ORDER BY code, valid_from
            """
        ).map { (try $0.decode(Int64.self, at: 0), try $0.decode(String.self, at: 1), try $0.decode(String.self, at: 2)) }
    }

    /// The indicators a level reports (every one when nil; those of `codes`, when given; an unknown code is refused),
    /// without those suspended on or before `until`, by code.
    static func templateIndicators(level: UnitLevel?, codes: [String]?, until: CalendarDate, tx: TenantTransaction) async throws -> [Indicator] {
        let all = try await tx.query(
            "SELECT \(sql: IndicatorStore.columns) FROM chitieu.indicator WHERE province_id = \(tx.provinceID) ORDER BY code", prepared: true
        ).map(IndicatorStore.decode)
        if let unknown = codes?.first(where: { code in !all.contains { $0.draft.code == code } }) {
            throw ChitieuError.unknownIndicator("indicators", code: unknown)
        }
        return all.filter { indicator in
            (codes.map { $0.contains(indicator.draft.code) } ?? true) && (level.map(indicator.draft.reportingLevels.contains) ?? true)
                && !(indicator.status == "suspended" && (indicator.suspendedFrom.map { CalendarDate($0) <= until } ?? true))
        }
    }

    /// One column per category of the breakdowns, each dimension once, in the indicators' order.
    static func categoryColumns(_ dimensions: [[String: [String]]?], companion: Bool) -> [ImportColumn] {
        var seen: Set<String> = []
        var out: [ImportColumn] = []
        for breakdown in dimensions.compactMap({ $0 }) {
            for dimension in breakdown.keys.sorted() {
                for category in breakdown[dimension]! where seen.insert("\(dimension).\(category)").inserted {
                    out.append(.category(dimension, category, companion: companion))
                }
            }
        }
        return out
    }
}
