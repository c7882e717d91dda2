public import ChitieuDomain
import ChitieuCrypto
public import ChitieuWorkbook
public import Foundation
import Postgres

/// Imports results and targets from an uploaded sheet. Every row is checked as a single
/// submission would be — by the same rules (`ResultRules`, the deadline, the ended unit, the
/// policy), read for the whole file in a few set-based statements — and the file is written in
/// one transaction with one statement, or not at all. Importing the same file again records
/// nothing new: a results row carries an idempotency key made of its content (`import:` and the
/// fingerprint a single submission's key is checked with), and a target equal to the stored one
/// is left as it is.
public struct ImportStore: Sendable {
    let database: ChitieuDatabase

    public init(database: ChitieuDatabase) {
        self.database = database
    }

    /// A results row checked and ready to write.
    struct CheckedResult {
        var source: ResultImportRow
        var input: ResultInput
        var unit: FoundUnit
        var rules: ResultRules.IndicatorRules
        var path: [Int64]
        var key: String
        var fingerprint: Data
    }

    /// Checks the results of a file (`dryRun`) or imports them, as drafts or submitted. The report
    /// lists every row's problem; with one, nothing is written.
    public func importResults(
        province: Int64, file: Data, submit: Bool, dryRun: Bool, caller: Caller, reader: WorkbookReader = WorkbookReader()
    ) async throws -> ImportReport {
        let sheet = try ImportSheet(try ImportFile.table(file, reader: reader), required: ImportColumn.resultsRequired)
        let (rows, unreadable) = sheet.resultRows()
        return try await database.withTenant(province) { tx in
            try await Access.require(caller, .read, tx: tx)
            var problems = unreadable
            let context = try await ResultImportContext.read(rows, province: province, tx: tx)
            var checked: [CheckedResult] = []
            for row in rows {
                do {
                    checked.append(try context.check(row, caller: caller, province: province))
                } catch let error as ChitieuError {
                    problems.append(sheet.problem(row.row, field: Self.column(of: error.field), error))
                }
            }
            let stored = try await Self.storedKeys(Array(Set(checked.map(\.key))), tx: tx)
            var fresh: [CheckedResult] = []
            var seen = stored
            for row in checked where seen.insert(row.key).inserted {
                // Rows recorded before are left without a second look, as a replayed submission is.
                if let refusal = context.deadlines.of(row.input.periodEnd.year).refusal(path: row.path, today: context.today) {
                    problems.append(sheet.problem(
                        row.source.row, field: ImportColumn.period.key, ChitieuError(.deadlinePassed, field: "period_end", reason: refusal)))
                } else {
                    fresh.append(row)
                }
            }
            var report = ImportReport(
                kind: .results, dryRun: dryRun, sheet: sheet.name, rows: rows.count + unreadable.count, recorded: fresh.count,
                unchanged: checked.count - fresh.count, problems: ImportFile.sorted(problems))
            guard report.accepted, !dryRun, !fresh.isEmpty else {
                if !report.accepted { report.recorded = 0 }
                return report
            }
            let jobs = submit ? Self.progressJobs(fresh, phases: context.phases, province: province) : []
            let written = try await tx.commit(after: Self.insert(fresh, submit: submit, caller: caller, province: province) + jobs)
            report.recorded = written[0].affectedRows
            report.unchanged = checked.count - report.recorded
            return report
        }
    }

    /// The column of the file a rule's field is read from.
    static func column(of field: String?) -> String {
        switch field {
        case "unit_id", "unit": ImportColumn.unitCode.key
        case "indicator_id", "indicator": ImportColumn.indicatorCode.key
        case "period_start", "period_end": ImportColumn.period.key
        default: field ?? ""
        }
    }

    /// The idempotency key of a results row.
    static func key(_ fingerprint: Data) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = Array("import:".utf8)
        for byte in fingerprint { text += [digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]] }
        return String(decoding: text, as: UTF8.self)
    }

    /// The keys among `keys` that results of the province carry already.
    static func storedKeys(_ keys: [String], tx: TenantTransaction) async throws -> Set<String> {
        guard !keys.isEmpty else { return [] }
        let rows = try await tx.query(
            "SELECT idempotency_key FROM chitieu.result WHERE province_id = \(tx.provinceID) AND idempotency_key = ANY(\(keys)::text[])")
        return Set(try rows.map { try $0.decode(String.self, at: 0) })
    }

    /// One recomputation per indicator and phase the submitted rows fall in.
    static func progressJobs(_ rows: [CheckedResult], phases: ResultStore.Phases, province: Int64) -> [PostgresQuery] {
        var pairs: Set<[Int64]> = []
        for row in rows {
            for phase in phases.of(row.input.periodEnd.year) { pairs.insert([row.input.indicatorID, phase]) }
        }
        return pairs.sorted { $0.lexicographicallyPrecedes($1) }.flatMap {
            ResultStore.progressJobs(indicatorID: $0[0], phases: [$0[1]], province: province)
        }
    }
}
