import ArgumentParser
import ChitieuCommandSupport
import ChitieuDomain
import ChitieuStore
import ChitieuWorkbook
import Foundation
import Postgres

extension ChitieuBench {
    /// `chitieu-bench import`: imports of results from files, beside one submission at a time and COPY.
    struct ImportBench: OperatorCommand {
        static let configuration = CommandConfiguration(
            commandName: "import",
            abstract: "Import results from files: a whole province's year and a 100,000-row file, beside single submissions and COPY.",
            discussion: """
                On a migrated scratch database: the province (Thanh Hóa, 38, by default) is made from the national units
                file and the indicator catalogue if it is not there. Two files are written: one row per commune and
                indicator communes report for 2025 (as an .xlsx and as CSV), and --rows rows (communes × indicators ×
                months, repeated with another note). For each it prints the reading of the file, the dry run and the
                import (rows per second, the file read included), a second import of the same file (nothing new), and
                COPY of the same rows into chitieu.result (in a transaction rolled back) as the floor, with the ratio.
                Beside them: --singles results submitted one at a time through the store, the rate extrapolated.
                """)

        @OptionGroup var database: DatabaseOptions
        @Option(help: "The province's GSO code.") var province = "38"
        @Option(help: "Rows of the large file.") var rows = 100_000
        @Option(help: "Results submitted one at a time.") var singles = 300
        @Option(help: "The national units file.") var unitsFile = "Deploy/data/vn-admin-units/units-2021.csv"
        @Option(help: "The indicator catalogue.") var catalogue = "Deploy/catalogue/project8-indicators.csv"

        func perform() async throws {
            try await withAdminDatabase(database, connections: 3) { owner in
                let tenant = try await prepare(owner)
                let shape = try await ImportShape.read(owner, province: tenant.id)
                let tag = String(Int(Date().timeIntervalSince1970))
                print("chitieu-bench import — \(tenant.name): \(shape.communes.count) communes × \(shape.indicators.count) indicators")
                print("file                         rows   read s  dry-run rows/s  import rows/s  again s   COPY rows/s  import/COPY")
                let year = shape.rows(count: shape.communes.count * shape.indicators.count, tag: "năm \(tag)", months: false)
                try await measure("year, xlsx", year, format: .xlsx, owner: owner, tenant: tenant, shape: shape)
                let yearCSV = shape.rows(count: shape.communes.count * shape.indicators.count, tag: "năm csv \(tag)", months: false)
                try await measure("year, csv", yearCSV, format: .csv, owner: owner, tenant: tenant, shape: shape)
                let large = shape.rows(count: rows, tag: "lớn \(tag)", months: true)
                try await measure("\(rows / 1000)k rows, csv", large, format: .csv, owner: owner, tenant: tenant, shape: shape)
                let single = try await singleRate(owner, tenant: tenant, shape: shape, tag: tag)
                print(String(format: "one submission at a time: %.0f rows/s (%d results); %d rows would take %.0f s", single, singles, rows, Double(rows) / single))
            }
        }

        /// The province, made from the national files when the database does not hold it, with
        /// reporting of 2025 open.
        func prepare(_ owner: ChitieuDatabase) async throws -> Province {
            let tenants = TenantStore(database: owner)
            if (try? await tenants.resolve(code: province)) == nil {
                Output.note("importing province \(province) from \(unitsFile)")
                let file = try AdminUnitsCSV.parse(try readFile(unitsFile, option: "--units-file")).filtered(province: province)
                _ = try await UnitStore(database: owner).importUnits(
                    file, validFrom: PostgresDate(year: 2021, month: 1, day: 1), validTo: nil, actor: .command("bench import"), source: unitsFile)
            }
            let tenant = try await tenants.resolve(code: province)
            if try await IndicatorStore(database: owner).list(province: tenant.id).isEmpty {
                let entries = try IndicatorCatalogueCSV.parse(try readFile(catalogue, option: "--catalogue")).map { row in
                    IndicatorStore.CatalogueEntry(
                        draft: row.draft, suspendedFrom: try row.suspendedFrom.map { try parseDate($0, option: "suspended_from") },
                        suspendedReason: row.suspendedReason)
                }
                _ = try await IndicatorStore(database: owner).importCatalogue(entries, province: tenant.id, caller: .command("bench import"))
            }
            _ = try await owner.withTenant(tenant.id) { tx in
                try await tx.query(
                    """
                    INSERT INTO chitieu.reporting_deadline (province_id, year, closes_on) VALUES (\(tenant.id), 2025, '2099-01-25')
                    ON CONFLICT (province_id, year) DO UPDATE SET closes_on = excluded.closes_on
                    """)
            }
            return tenant
        }

        /// One file: read, dry run, import, import again, and COPY of its rows.
        func measure(
            _ name: String, _ rows: [[Cell]], format: ImportTemplate.Format, owner: ChitieuDatabase, tenant: Province, shape: ImportShape
        ) async throws {
            let file = ImportTemplate(kind: .results, header: shape.header, rows: rows, name: "bench").file(format).data
            let reader = WorkbookReader(maximumBytes: 1 << 30, maximumRows: 10_000_000)
            let store = ImportStore(database: owner)
            let caller = Caller.command("bench import")
            let start = ContinuousClock.now
            _ = try reader.read(file)
            let read = (ContinuousClock.now - start).seconds
            var report: ImportReport?
            let dry = try await Figures.time {
                report = try await store.importResults(province: tenant.id, file: file, submit: true, dryRun: true, caller: caller, reader: reader)
            }
            guard let checked = report, checked.accepted, checked.recorded == rows.count else {
                throw BenchFailure("the dry run of \(name) refused rows: \(report?.problems.prefix(3).map { $0.message(in: .en) } ?? [])")
            }
            let imported = try await Figures.time {
                report = try await store.importResults(province: tenant.id, file: file, submit: true, dryRun: false, caller: caller, reader: reader)
            }
            guard report?.recorded == rows.count else { throw BenchFailure("the import of \(name) recorded \(report?.recorded ?? 0) rows") }
            let again = try await Figures.time {
                report = try await store.importResults(province: tenant.id, file: file, submit: true, dryRun: false, caller: caller, reader: reader)
            }
            guard report?.recorded == 0 else { throw BenchFailure("the second import of \(name) recorded \(report?.recorded ?? 0) rows") }
            let copy = try await copySeconds(rows, owner: owner, tenant: tenant, shape: shape)
            let n = Double(rows.count)
            print(name.padding(toLength: 22, withPad: " ", startingAt: 0) + String(
                format: " %9d %8.2f %15.0f %14.0f %8.2f %13.0f %11.1f×", rows.count, read, n / dry, n / imported, again, n / copy, imported / copy))
        }

        /// The seconds COPY takes to load the same rows into chitieu.result, row-level security lifted
        /// in a transaction that is rolled back.
        func copySeconds(_ rows: [[Cell]], owner: ChitieuDatabase, tenant: Province, shape: ImportShape) async throws -> Double {
            let lines = shape.copyRows(rows, province: tenant.id)
            return try await owner.pool.withConnection { c in
                try await c.query("BEGIN")
                try await c.query("ALTER TABLE chitieu.result NO FORCE ROW LEVEL SECURITY")
                let seconds = try await Figures.time {
                    try await c.copyFrom(
                        "COPY chitieu.result (province_id, indicator_id, unit_id, period_start, period_end, value, breakdown, companion_value, companion_breakdown, evidence_note, state, idempotency_key) FROM STDIN"
                    ) { writer in
                        for line in lines { try writer.appendRow(line) }
                    }
                }
                try await c.query("ROLLBACK")
                return seconds
            }
        }

        /// Results submitted one at a time, as `chitieu result add --submit` does: rows per second.
        func singleRate(_ owner: ChitieuDatabase, tenant: Province, shape: ImportShape, tag: String) async throws -> Double {
            let store = ResultStore(database: owner)
            let inputs = shape.rows(count: singles, tag: "một \(tag)", months: true)
            let seconds = try await Figures.time {
                for row in inputs {
                    let (indicator, unit, period, figures) = shape.parts(row)
                    _ = try await store.create(
                        province: tenant.id,
                        ResultInput(indicatorID: indicator, unit: .id(unit), periodStart: PostgresDate(period.start), periodEnd: PostgresDate(period.end), figures: figures),
                        submit: true, idempotencyKey: nil, caller: .command("bench import"))
                }
            }
            return Double(singles) / seconds
        }
    }
}
