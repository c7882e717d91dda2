import ChitieuDomain
import ChitieuJobs
import ChitieuServer
import ChitieuStore
import ChitieuTestSupport
import ChitieuTesting
import Foundation
import Postgres
import Testing

/// The allocation's cases of issue 18, reproduced as an operator runs them: units and the
/// catalogue imported, targets set, locks, `target allocate --wait`, `target show --json`.
@Suite("Allocation with locks, stock milestones and bounded inputs, end to end")
struct AllocationLockTests {
    struct Commands {
        let db: TestDatabase
        let env: [String: String]

        func run(_ args: [String]) async throws -> CommandResult { try await ChitieuCommand.run(args, environment: env) }

        /// Runs a command that must succeed.
        func ok(_ args: [String], sourceLocation: SourceLocation = #_sourceLocation) async throws {
            let result = try await run(args)
            #expect(result.status == 0, "\(args.joined(separator: " ")): \(result.error)", sourceLocation: sourceLocation)
        }

        func set(_ province: String, _ indicator: String, unit: String? = nil, year: Int? = nil, value: Int, lock: Bool = false) async throws -> CommandResult {
            try await run(["target", "set", "--province", province, "--indicator", indicator, "--phase", "2021-2025", "--value", String(value)]
                + (unit.map { ["--unit", $0] } ?? []) + (year.map { ["--year", String($0)] } ?? []) + (lock ? ["--lock"] : []))
        }

        func allocate(_ province: String, _ indicator: String) async throws -> CommandResult {
            try await run(["target", "allocate", "--province", province, "--phase", "2021-2025", "--indicator", indicator, "--wait"])
        }

        /// The rows of `target show --json` from `unit` (the province) one level down.
        func show(_ province: String, _ indicator: String, unit: String? = nil) async throws -> [Row] {
            let result = try await run(["target", "show", "--province", province, "--indicator", indicator, "--phase", "2021-2025", "--json"]
                + (unit.map { ["--unit", $0] } ?? []))
            let rows = try #require(try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [[String: Any]], "\(result.error)")
            return rows.map { row in
                let years = row["years"] as? [String: Any] ?? [:]
                return Row(code: row["unit_code"] as? String ?? "", depth: row["depth"] as? Int ?? -1,
                           years: (2021...2025).map { years[String($0)] as? Int ?? -1 }, phase: row["phase"] as? Int ?? -1)
            }
        }
    }

    struct Row {
        var code: String
        var depth: Int
        var years: [Int]
        var phase: Int
    }

    /// A database with the units of the given provinces and the Project 8 catalogue in each.
    func commands(_ provinces: [String]) async throws -> Commands {
        let db = try await TestDatabase.make()
        let root = try TestDatabase.repositoryRoot()
        let commands = Commands(db: db, env: ["CHITIEU_ADMIN_DATABASE_URL": db.ownerConnectionString, "CHITIEU_SQL_DIR": root.appendingPathComponent("SQL").path])
        for province in provinces {
            try await commands.ok(["units", "import", "--file", root.appendingPathComponent("Deploy/data/vn-admin-units/units-2021.csv").path, "--province", province])
            try await commands.ok(["indicator", "import", "--province", province, "--file", root.appendingPathComponent("Deploy/catalogue/project8-indicators.csv").path])
        }
        return commands
    }

    /// Children sum to their parent every year and for the phase; stock milestones never fall and end at the phase value.
    func expectExact(_ rows: [Row], stock: Bool, sourceLocation: SourceLocation = #_sourceLocation) {
        let parent = rows[0], children = rows.dropFirst()
        for y in 0..<5 {
            #expect(children.map { $0.years[y] }.reduce(0, +) == parent.years[y], "year \(2021 + y) below \(parent.code)", sourceLocation: sourceLocation)
        }
        #expect(children.map(\.phase).reduce(0, +) == parent.phase, sourceLocation: sourceLocation)
        for row in rows {
            if stock {
                #expect(zip(row.years, row.years.dropFirst()).allSatisfy { $0 <= $1 } && row.years.last == row.phase, "\(row.code): \(row.years)", sourceLocation: sourceLocation)
            } else {
                #expect(row.years.reduce(0, +) == row.phase, "\(row.code): \(row.years)", sourceLocation: sourceLocation)
            }
        }
    }

    @Test func lockedMilestonesOfStockIndicatorsAreMet() async throws {
        let c = try await commands(["12"])
        // A locked milestone of the province: the districts' 2023 milestones add up to it.
        #expect(try await c.set("12", "DA8-01", value: 300).status == 0)
        #expect(try await c.set("12", "DA8-01", year: 2023, value: 200, lock: true).status == 0)
        try await c.ok(["target", "allocate", "--province", "12", "--phase", "2021-2025", "--indicator", "DA8-01", "--wait"])
        let province = try await c.show("12", "DA8-01")
        #expect(province[0].years == [67, 133, 200, 250, 300])
        expectExact(province, stock: true)

        // A locked milestone of a district: its milestones never fall, and 2022 still sums to 40.
        #expect(try await c.set("12", "DA8-02", value: 100).status == 0)
        #expect(try await c.set("12", "DA8-02", unit: "105", year: 2022, value: 3, lock: true).status == 0)
        #expect(try await c.allocate("12", "DA8-02").status == 0)
        let districts = try await c.show("12", "DA8-02")
        #expect(districts[0].years == [20, 40, 60, 80, 100])
        #expect(districts.first { $0.code == "105" }?.years[1] == 3)
        expectExact(districts, stock: true)
        expectExact(try await c.show("12", "DA8-02", unit: "105"), stock: true)

        // A small stock target: milestones are floor or ceiling of 1.4, 2.8, 4.2, 5.6, 7.
        #expect(try await c.set("12", "DA8-05", value: 7).status == 0)
        #expect(try await c.allocate("12", "DA8-05").status == 0)
        #expect(try await c.show("12", "DA8-05")[0].years == [1, 3, 4, 6, 7])

        // A commune milestone locked above its district's value is refused, naming it, and changes nothing.
        let before = try await c.run(["target", "show", "--province", "12", "--indicator", "DA8-01", "--phase", "2021-2025", "--unit", "105", "--json"])
        #expect(try await c.set("12", "DA8-01", unit: "03386", year: 2024, value: 400, lock: true).status == 0)
        let refused = try await c.allocate("12", "DA8-01")
        #expect(refused.status == 1)
        #expect(refused.error.contains("03386") && refused.error.contains("400"), "\(refused.error)")
        let after = try await c.run(["target", "show", "--province", "12", "--indicator", "DA8-01", "--phase", "2021-2025", "--unit", "105", "--json"])
        let changed = zip(try c.parse(before.output), try c.parse(after.output)).filter { $0 != $1 }
        // Only the cell set by hand differs.
        #expect(changed.count == 1)
    }

    @Test func aYearlyLockOnAFlowIndicatorKeepsEveryUnitsYearsAndFeasibleLocksAreMet() async throws {
        let c = try await commands(["14"])
        #expect(try await c.set("14", "DA8-06", value: 100_000).status == 0)
        #expect(try await c.set("14", "DA8-06", unit: "116", year: 2023, value: 7, lock: true).status == 0)
        #expect(try await c.allocate("14", "DA8-06").status == 0)
        let districts = try await c.show("14", "DA8-06")
        #expect(districts[0].years == Array(repeating: 20_000, count: 5))
        expectExact(districts, stock: false)
        #expect(districts.first { $0.code == "116" }?.years[2] == 7)
        // No district's phase lands in one year: each of its other years holds a fifth to a quarter of it.
        for row in districts.dropFirst() {
            for (y, value) in row.years.enumerated() where !(row.code == "116" && y == 2) {
                #expect(value * 6 >= row.phase && value * 3 <= row.phase, "\(row.code): \(row.years)")
            }
        }
        // A second lock, on a commune of 118, is met.
        #expect(try await c.set("14", "DA8-06", unit: "03682", year: 2022, value: 3, lock: true).status == 0)
        let again = try await c.allocate("14", "DA8-06")
        #expect(again.status == 0, "\(again.error)")
        let communes = try await c.show("14", "DA8-06", unit: "118")
        #expect(communes.first { $0.code == "03682" }?.years[1] == 3)
        expectExact(communes, stock: false)
    }

    @Test func hugeWeightsAndYearProfilesBelowTheProvinceAreRefused() async throws {
        let c = try await commands(["12"])
        #expect(try await c.set("12", "DA8-06", value: 600).status == 0)
        let file = NSTemporaryDirectory() + "weights-\(UUID().uuidString).csv"
        try "unit_code,weight\n105,4000000000000000000\n106,4000000000000000000\n107,4000000000000000000\n".write(toFile: file, atomically: true, encoding: .utf8)
        defer { unlink(file) }
        let weights = try await c.run(["allocation", "rule", "set", "--province", "12", "--indicator", "DA8-06", "--phase", "2021-2025", "--method", "weighted", "--weights", file])
        #expect(weights.status == 1)
        #expect(weights.error.contains("weight") && weights.error.contains("1000000000"), "\(weights.error)")
        let profile = try await c.run(["allocation", "rule", "set", "--province", "12", "--indicator", "DA8-06", "--phase", "2021-2025", "--unit", "105", "--years", "5,0,0,0,0"])
        #expect(profile.status == 1)
        #expect(profile.error.contains("years") && profile.error.contains("105"), "\(profile.error)")
        let tooLarge = try await c.run(["allocation", "rule", "set", "--province", "12", "--indicator", "DA8-06", "--phase", "2021-2025", "--years", "1,1,1,1,2000000"])
        #expect(tooLarge.status == 2 && tooLarge.error.contains("--years"))
        // On the province's rule a year profile applies.
        try await c.ok(["allocation", "rule", "set", "--province", "12", "--indicator", "DA8-06", "--phase", "2021-2025", "--years", "5,0,0,0,0"])
        #expect(try await c.allocate("12", "DA8-06").status == 0)
        #expect(try await c.show("12", "DA8-06")[0].years == [600, 0, 0, 0, 0])
    }

    @Test func aRuleStoredWithHugeWeightsFailsItsJobAndTheWorkerGoesOn() async throws {
        let db = try await TestDatabase.make()
        let owner = ChitieuDatabase(pool: db.ownerPool())
        let laiChau = try await provinceWithTarget(
            "12", indicator: IndicatorDraft(code: "X", name: "Lớp tập huấn", measureUnit: "lớp", kind: .flow), target: 600, owner)
        let rules = AllocationStore(database: owner)
        let huge = AllocationRule(childMethod: "weighted", childWeights: ["105": 4_000_000_000_000_000_000, "106": 4_000_000_000_000_000_000])
        let refused = await expectError(.unprocessable) {
            try await rules.setRule(province: laiChau.id, indicatorCode: "X", phaseCode: "2021-2025", unitCode: nil, rule: huge, caller: .command("test"))
        }
        #expect(refused?.field == "weights")
        // A rule stored before the bound: the allocation refuses it instead of overflowing.
        try await rules.setRule(province: laiChau.id, indicatorCode: "X", phaseCode: "2021-2025", unitCode: nil,
                                rule: AllocationRule(childMethod: "weighted", childWeights: ["105": 1, "106": 1]), caller: .command("test"))
        let su = try await db.superuserConnection()
        try await su.query(
            """
            UPDATE chitieu.allocation_rule SET child_weights = '{"105": 4000000000000000000, "106": 4000000000000000000, "107": 4000000000000000000}'
            WHERE province_id = \(laiChau.id)
            """)
        await su.close()
        let error = await expectError(.unprocessable) {
            try await rules.allocate(province: laiChau.id, phaseCode: "2021-2025", indicatorCode: "X", caller: .command("test"))
        }
        #expect(error?.field == "weights" && error?.reason.contains("105") == true)

        // The worker running the job records the failure and runs the next job.
        let app = db.appPool(maxConnections: 4)
        let queue = JobQueue(pool: app)
        let failing = try await queue.enqueue(
            kind: "allocate", provinceID: laiChau.id, uniqueKey: "allocate:\(laiChau.id):2021-2025:X",
            args: #"{"province_id": \#(laiChau.id), "phase": "2021-2025", "indicator": "X"}"#, maxAttempts: 1).id
        let worker = JobWorker(
            queue: queue, handlers: StandardJobs.handlers(database: ChitieuDatabase(pool: app)),
            configuration: JobWorkerConfiguration(concurrency: 1, pollInterval: .milliseconds(100)), listen: nil, logger: TestDatabase.logger)
        try await worker.whileRunning {
            _ = try await eventually(every: .milliseconds(50)) { try await queue.find(failing).state.isFinal }
            try await rules.setRule(province: laiChau.id, indicatorCode: "X", phaseCode: "2021-2025", unitCode: nil,
                                    rule: AllocationRule(childMethod: "weighted", childWeights: ["105": 1, "106": 2]), caller: .command("test"))
            let next = try await queue.enqueue(
                kind: "allocate", provinceID: laiChau.id, uniqueKey: "allocate:\(laiChau.id):2021-2025:X:again",
                args: #"{"province_id": \#(laiChau.id), "phase": "2021-2025", "indicator": "X"}"#).id
            _ = try await eventually(every: .milliseconds(50)) { try await queue.find(next).state == .succeeded }
        }
        let job = try await queue.find(failing)
        #expect(job.state != .running && job.state != .succeeded)
        #expect(job.lastError?.contains("105") == true)
        await app.shutdown()
        await owner.pool.shutdown()
    }
}

extension AllocationLockTests.Commands {
    /// `target show --json` rows as comparable text.
    func parse(_ output: String) throws -> [String] {
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [[String: Any]])
        return rows.map { row in
            let years = row["years"] as? [String: Any] ?? [:]
            return "\(row["unit_code"] ?? "") \((2021...2025).map { "\(years[String($0)] ?? "")" }) \(row["phase"] ?? "")"
        }
    }
}
