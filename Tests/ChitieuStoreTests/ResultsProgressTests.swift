import ChitieuDomain
import ChitieuJobs
import ChitieuServer
import ChitieuStore
import ChitieuTestSupport
import ChitieuTesting
import Foundation
import Postgres
import Testing

@Suite("Results, approval and completion, end to end")
struct ResultsProgressTests {
    /// Lào Cai with the catalogue's first indicators: DA8-01 (stock, communes) with a phase
    /// target of 424 allocated down to communes, DA8-03 (flow, districts and province, sex breakdown).
    func world() async throws -> (AccessWorld, phase: Int64, teams: Int64, courses: Int64) {
        let world = try await AccessWorld.make()
        let indicators = IndicatorStore(database: world.app)
        let courses = try await indicators.add(
            IndicatorDraft(code: "DA8-03", name: "Lớp tập huấn giám sát bình đẳng giới", measureUnit: "lớp", kind: .flow,
                           reportingLevels: [.province, .district], disaggregation: ["sex": ["nữ", "nam"]], companionMeasure: "học viên"),
            province: world.a.id, caller: .command("test"))
        let su = try await world.db.superuserConnection()
        try await su.query("UPDATE chitieu.indicator SET companion_measure = 'thành viên' WHERE province_id = \(world.a.id) AND code = 'DA8-01'")
        // The province keeps 2023 to 2025 open (2021 and 2022 close on their default dates).
        try await su.query(
            "INSERT INTO chitieu.reporting_deadline (province_id, year, closes_on) SELECT \(world.a.id), y, '2099-01-25' FROM generate_series(2023, 2025) y")
        await su.close()
        let targets = TargetStore(database: world.app)
        _ = try await targets.set(province: world.a.id, indicatorCode: "DA8-01", phaseCode: "2021-2025", unitCode: nil, year: nil, value: 424, lock: false, caller: .command("test"))
        _ = try await targets.set(province: world.a.id, indicatorCode: "DA8-03", phaseCode: "2021-2025", unitCode: nil, year: nil, value: 28, lock: false, caller: .command("test"))
        _ = try await AllocationStore(database: world.app).allocate(province: world.a.id, phaseCode: "2021-2025", indicatorCode: nil, caller: .command("test"))
        let phase = try await world.app.withTenant(world.a.id) { tx in
            try await tx.query("SELECT phase_id FROM chitieu.phase WHERE province_id = \(world.a.id) AND code = '2021-2025'")[0].decode(Int64.self, at: 0)
        }
        return (world, phase, world.indicators[0], courses.id)
    }

    func day(_ text: String) -> PostgresDate { PostgresDate(text)! }

    func figure(
        _ world: AccessWorld, _ phase: Int64, indicator: Int64, unit: Int64, year: Int?
    ) async throws -> (target: Int?, achieved: Int, withSubmitted: Int, status: String, rate: Double?) {
        try await world.app.withTenant(world.a.id) { tx in
            let row = try await tx.query(
                """
                SELECT target, achieved, achieved_with_submitted, status, rate::float8 FROM chitieu.progress
                WHERE province_id = \(world.a.id) AND phase_id = \(phase) AND indicator_id = \(indicator) AND unit_id = \(unit)
                  AND year IS NOT DISTINCT FROM \(year.map { Int16($0) })
                """)[0]
            return (
                try row.decode(Int?.self, at: 0), try row.decode(Int.self, at: 1), try row.decode(Int.self, at: 2), try row.decode(String.self, at: 3),
                try row.decode(Double?.self, at: 4))
        }
    }

    @Test func submitApproveComputeAndRead() async throws {
        let (world, phase, teams, courses) = try await world()
        let results = ResultStore(database: world.app)
        let (commune, district) = try await world.communeAndDistrictCallers()
        let province = try await world.caller("tinh10", in: world.a)
        let u = world.unitsA

        // The commune reports its teams (a stock) twice in 2023; the later level counts.
        let (q2, _) = try await results.create(
            province: world.a.id,
            ResultInput(indicatorID: teams, unit: .id(u.commune), periodStart: day("2023-04-01"), periodEnd: day("2023-06-30"),
                        figures: ResultFigures(value: 2, companionValue: 18)),
            submit: true, idempotencyKey: nil, caller: commune)
        let (q4, _) = try await results.create(
            province: world.a.id,
            ResultInput(indicatorID: teams, unit: .id(u.commune), periodStart: day("2023-10-01"), periodEnd: day("2023-12-31"),
                        figures: ResultFigures(value: 3, companionValue: 27, evidenceNote: "Biên bản thành lập tổ, lưu tại UBND xã")),
            submit: true, idempotencyKey: nil, caller: commune)
        // The commune cannot approve its own; the district can.
        await expectError(.refusals) { _ = try await results.approve(province: world.a.id, id: q2.id, caller: commune) }
        _ = try await results.approve(province: world.a.id, id: q2.id, caller: district)
        _ = try await ProgressStore(database: world.app).compute(province: world.a.id, phaseID: phase, today: day("2024-06-30"))
        var f = try await figure(world, phase, indicator: teams, unit: u.commune, year: 2023)
        #expect(f.achieved == 2 && f.withSubmitted == 3)
        _ = try await results.approve(province: world.a.id, id: q4.id, caller: district)
        _ = try await ProgressStore(database: world.app).compute(province: world.a.id, phaseID: phase, today: day("2024-06-30"))
        f = try await figure(world, phase, indicator: teams, unit: u.commune, year: 2023)
        #expect(f.achieved == 3 && f.withSubmitted == 3)
        // Rolled up: the district and the province count the commune's level.
        #expect(try await figure(world, phase, indicator: teams, unit: u.district, year: 2023).achieved == 3)
        let phaseFigure = try await figure(world, phase, indicator: teams, unit: u.province, year: nil)
        #expect(phaseFigure.achieved == 3 && phaseFigure.target == 424 && phaseFigure.status == "behind")

        // A flow indicator with a breakdown, reported by the district, approved by the province.
        let (course, _) = try await results.create(
            province: world.a.id,
            ResultInput(indicatorID: courses, unit: .id(u.district), periodStart: day("2023-03-01"), periodEnd: day("2023-03-05"),
                        figures: ResultFigures(value: 2, breakdown: ["sex": ["nữ": 1, "nam": 1]], companionValue: 48)),
            submit: true, idempotencyKey: nil, caller: district)
        await expectError(.refusals) { _ = try await results.approve(province: world.a.id, id: course.id, caller: district) }
        _ = try await results.approve(province: world.a.id, id: course.id, caller: province)
        // Returned results do not count.
        let (wrong, _) = try await results.create(
            province: world.a.id,
            ResultInput(indicatorID: courses, unit: .id(u.district), periodStart: day("2023-05-01"), periodEnd: day("2023-05-02"),
                        figures: ResultFigures(value: 5, breakdown: ["sex": ["nữ": 3, "nam": 2]])),
            submit: true, idempotencyKey: nil, caller: district)
        let returned = try await results.giveBack(province: world.a.id, id: wrong.id, reason: "Thiếu danh sách học viên", caller: province)
        #expect(returned.state == .returned && returned.returnReason == "Thiếu danh sách học viên")
        _ = try await ProgressStore(database: world.app).compute(province: world.a.id, phaseID: phase, today: day("2024-06-30"))
        #expect(try await figure(world, phase, indicator: courses, unit: u.district, year: 2023).achieved == 2)
        #expect(try await figure(world, phase, indicator: courses, unit: u.province, year: 2023).withSubmitted == 2)

        // A correction by the approving level moves the figure and keeps the old value in the audit log.
        let corrected = try await results.correct(
            province: world.a.id, id: course.id, figures: ResultFigures(value: 3, breakdown: ["sex": ["nữ": 2, "nam": 1]], companionValue: 70),
            reason: "Bổ sung lớp ngày 05/3", caller: province)
        #expect(corrected.figures.value == 3 && corrected.version == course.version + 2)
        await expectError(.refusals) {
            _ = try await results.correct(province: world.a.id, id: course.id, figures: ResultFigures(value: 9, breakdown: ["sex": ["nữ": 9, "nam": 0]]), reason: "x", caller: district)
        }
        _ = try await ProgressStore(database: world.app).compute(province: world.a.id, phaseID: phase, today: day("2024-06-30"))
        #expect(try await figure(world, phase, indicator: courses, unit: u.province, year: nil).achieved == 3)
        let events = try await AuditStore(database: world.app).list(
            province: world.a.id, filter: AuditStore.Filter(entityType: "result", entityID: course.id.uuidString.lowercased()), caller: .command("test"))
        let correction = try #require(events.first { $0.action == "result.correct" })
        func value(_ json: String?) -> Int? {
            (json.flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) } as? [String: Any])?["value"] as? Int
        }
        #expect(value(correction.before) == 2 && value(correction.after) == 3)
        #expect(correction.actorLabel == "tinh10")

        // The figures, as the commands and the API read them.
        let shown = try await ProgressStore(database: world.app).figures(
            province: world.a.id, phaseCode: "2021-2025", year: nil, unit: nil, depth: 1, caller: province)
        #expect(shown.contains { $0.indicatorCode == "DA8-01" && $0.unitLevel == .province && $0.achieved == 3 && $0.target == 424 })
        #expect(shown.allSatisfy { $0.unitLevel != .commune })
        let districtView = try await ProgressStore(database: world.app).figures(
            province: world.a.id, phaseCode: "2021-2025", year: 2023, unit: nil, depth: 1, caller: district)
        #expect(Set(districtView.map(\.unitID)).isSubset(of: Set([u.district] + (try await UnitDirectory(database: world.app).children(of: u.district, province: world.a.id, caller: district)).map(\.id))))
        await world.shutdown()
    }

    /// Runs the pending progress jobs of the queue with the daemon's handler; returns how many ran.
    func runProgressJobs(_ world: AccessWorld) async throws -> Int {
        let queue = JobQueue(pool: world.app.pool)
        let handler = try #require(StandardJobs.handlers(database: world.app)["progress"])
        let jobs = try await queue.claim(worker: "test", limit: 100, lease: .seconds(30)).filter { $0.kind == "progress" }
        for job in jobs { try await handler(job) }
        _ = try await queue.complete(jobs.map(\.id), worker: "test")
        return jobs.count
    }

    @Test func aSuspensionAndARenameReachTheViewsThroughAJob() async throws {
        let (world, phase, _, courses) = try await world()
        let indicators = IndicatorStore(database: world.app)
        _ = try await ProgressStore(database: world.app).compute(province: world.a.id, phaseID: phase, today: day("2024-06-30"))
        _ = try await runProgressJobs(world)
        let su = try await world.db.superuserConnection()
        // One recomputation per phase of the province.
        let phases = try await su.query("SELECT count(*) FROM chitieu.phase WHERE province_id = \(world.a.id)")[0].decode(Int.self, at: 0)
        func phaseRow() async throws -> (name: String, status: String, label: String) {
            let row = try await su.query(
                """
                SELECT indicator_name, status, status_label FROM reporting.progress_phase
                WHERE province_id = \(world.a.id) AND indicator_id = \(courses) AND unit_level = 'province'
                """)[0]
            return (try row.decode(String.self, at: 0), try row.decode(String.self, at: 1), try row.decode(String.self, at: 2))
        }
        #expect(try await phaseRow().status == "behind")

        // Stopped by central direction: the figures say so once the job the suspension enqueued has run.
        _ = try await indicators.suspend(code: "DA8-03", from: day("2024-07-01"), reason: "Dừng theo chỉ đạo của Trung ương", province: world.a.id, caller: .command("test"))
        #expect(try await runProgressJobs(world) == phases)
        var row = try await phaseRow()
        #expect(row.status == "suspended" && row.label == "Tạm dừng")
        _ = try await indicators.resume(code: "DA8-03", province: world.a.id, caller: .command("test"))
        #expect(try await runProgressJobs(world) == phases)
        #expect(try await phaseRow().status == "behind")

        // A new name from the catalogue reaches the copies the dashboard reads.
        var draft = try await indicators.find(code: "DA8-03", province: world.a.id).draft
        draft.name = "Lớp tập huấn về giám sát, phản biện xã hội thực hiện bình đẳng giới"
        _ = try await indicators.importCatalogue(
            [.init(draft: draft, suspendedFrom: nil, suspendedReason: nil)], province: world.a.id, caller: .command("test"))
        #expect(try await runProgressJobs(world) == phases)
        row = try await phaseRow()
        #expect(row.name == "Lớp tập huấn về giám sát, phản biện xã hội thực hiện bình đẳng giới")
        // The yearly view reads the same copies; no figure keeps the old name.
        let stale = try await su.query(
            """
            SELECT count(*) FROM reporting.progress_yearly
            WHERE province_id = \(world.a.id) AND indicator_id = \(courses) AND indicator_name IS DISTINCT FROM \(draft.name)
            """)[0].decode(Int.self, at: 0)
        #expect(stale == 0)
        await su.close()
        await world.shutdown()
    }

    @Test func statesVersionsIdempotencyAndBadFigures() async throws {
        let (world, _, teams, courses) = try await world()
        let results = ResultStore(database: world.app)
        let (commune, district) = try await world.communeAndDistrictCallers()
        let input = ResultInput(indicatorID: teams, unit: .id(world.unitsA.commune), periodStart: day("2024-01-01"), periodEnd: day("2024-03-31"),
                                figures: ResultFigures(value: 4, companionValue: 30))
        // The same submission retried over a bad connection: one result, the first answer.
        let (first, replayed1) = try await results.create(province: world.a.id, input, submit: false, idempotencyKey: "xa-2024-q1-teams", caller: commune)
        let (again, replayed2) = try await results.create(province: world.a.id, input, submit: false, idempotencyKey: "xa-2024-q1-teams", caller: commune)
        #expect(!replayed1 && replayed2 && again.id == first.id)
        var other = input
        other.figures.value = 5
        await expectError(.conflicts) {
            _ = try await results.create(province: world.a.id, other, submit: false, idempotencyKey: "xa-2024-q1-teams", caller: commune)
        }
        // Approved by the province, a commune's result is corrected by the province, not the district.
        let (byProvince, _) = try await results.create(
            province: world.a.id, ResultInput(indicatorID: teams, unit: .id(world.unitsA.commune), periodStart: day("2024-04-01"), periodEnd: day("2024-06-30"),
                                              figures: ResultFigures(value: 2, companionValue: 15)),
            submit: true, idempotencyKey: nil, caller: commune)
        let tinh = try await world.caller("tinh10", in: world.a)
        _ = try await results.approve(province: world.a.id, id: byProvince.id, caller: tinh)
        await #expect(throws: ChitieuError(.forbidden, "this result was approved above your level; that level or one above it corrects it")) {
            _ = try await results.correct(province: world.a.id, id: byProvince.id, figures: ResultFigures(value: 3, companionValue: 20), reason: "sửa", caller: district)
        }
        #expect(try await results.correct(province: world.a.id, id: byProvince.id, figures: ResultFigures(value: 3, companionValue: 20), reason: "sửa", caller: tinh).figures.value == 3)
        // Versions: an update naming an old version is refused.
        let updated = try await results.update(province: world.a.id, id: first.id, other, expectedVersion: first.version, caller: commune)
        #expect(updated.figures.value == 5)
        await expectError(.conflicts) {
            _ = try await results.update(province: world.a.id, id: first.id, input, expectedVersion: first.version, caller: commune)
        }
        // States: no approval of a draft, no change once submitted, no second approval.
        await expectError(.conflicts) { _ = try await results.approve(province: world.a.id, id: first.id, caller: district) }
        _ = try await results.submit(province: world.a.id, id: first.id, caller: commune)
        await expectError(.conflicts) { _ = try await results.update(province: world.a.id, id: first.id, input, expectedVersion: nil, caller: commune) }
        _ = try await results.approve(province: world.a.id, id: first.id, caller: district)
        await expectError(.conflicts) { _ = try await results.approve(province: world.a.id, id: first.id, caller: district) }
        // A viewer and a commune of another district cannot report here.
        await expectError(.refusals) {
            _ = try await results.create(province: world.a.id, input, submit: false, idempotencyKey: nil, caller: try await world.caller("xem10", in: world.a))
        }
        await expectError(.refusals) {
            _ = try await results.create(province: world.b.id, ResultInput(indicatorID: world.indicators[1], unit: .id(world.unitsB.commune), periodStart: day("2024-01-01"), periodEnd: day("2024-01-31"), figures: ResultFigures(value: 1)), submit: false, idempotencyKey: nil, caller: commune)
        }
        // Bad figures and periods, named.
        func refused(_ i: ResultInput, _ field: String) async {
            do {
                _ = try await results.create(province: world.a.id, i, submit: false, idempotencyKey: nil, caller: commune)
                Issue.record("accepted an input with a bad \(field)")
            } catch let error as ChitieuError where Set<ChitieuError.Code>.unprocessable.contains(error.code) {
                #expect(error.field == field, "\(error)")
            } catch {
                Issue.record("\(error)")
            }
        }
        var bad = input
        bad.periodEnd = day("2024-13-01".replacingOccurrences(of: "13", with: "12").replacingOccurrences(of: "-01", with: "-31")); bad.periodStart = day("2023-12-01")
        await refused(bad, "period_end")
        bad = input; bad.periodEnd = day("2099-01-01"); bad.periodStart = day("2099-01-01")
        await refused(bad, "period_end")
        bad = input; bad.figures = ResultFigures(value: -1)
        await refused(bad, "value")
        bad = input; bad.figures = ResultFigures(value: 3, breakdown: ["sex": ["nữ": 1, "nam": 1]])
        await refused(bad, "breakdown")
        let district10 = ResultInput(indicatorID: courses, unit: .id(world.unitsA.commune), periodStart: day("2024-01-01"), periodEnd: day("2024-01-02"), figures: ResultFigures(value: 1, breakdown: ["sex": ["nữ": 1, "nam": 0]]))
        await refused(district10, "unit_id")
        let courseInput = ResultInput(indicatorID: courses, unit: .id(world.unitsA.district), periodStart: day("2024-01-01"), periodEnd: day("2024-01-02"), figures: ResultFigures(value: 2, breakdown: ["sex": ["nữ": 1, "nam": 0]]))
        do {
            _ = try await results.create(province: world.a.id, courseInput, submit: false, idempotencyKey: nil, caller: district)
            Issue.record("a breakdown that does not add up was accepted")
        } catch let error as ChitieuError where Set<ChitieuError.Code>.unprocessable.contains(error.code) {
            #expect(error.field == "breakdown.sex" && error.reason.contains("adds up to 1"))
        }
        var missing = courseInput
        missing.figures = ResultFigures(value: 2, breakdown: ["sex": ["nữ": 2]])
        do {
            _ = try await results.create(province: world.a.id, missing, submit: false, idempotencyKey: nil, caller: district)
            Issue.record("a breakdown with a missing category was accepted")
        } catch let error as ChitieuError where Set<ChitieuError.Code>.unprocessable.contains(error.code) {
            #expect(error.field == "breakdown.sex.nam")
        }
        await world.shutdown()
    }

    @Test func deadlinesCloseAYearAndExceptionsReopenAUnit() async throws {
        let (world, _, teams, _) = try await world()
        let results = ResultStore(database: world.app)
        let commune = try await world.caller("xa10", in: world.a)
        let late = ResultInput(indicatorID: teams, unit: .id(world.unitsA.commune), periodStart: day("2022-10-01"), periodEnd: day("2022-12-31"), figures: ResultFigures(value: 1))
        // 2022 closed on 25 January 2023.
        await expectError(.conflicts) {
            _ = try await results.create(province: world.a.id, late, submit: true, idempotencyKey: nil, caller: commune)
        }
        // Nor kept as a draft, until the province reopens the district.
        await expectError(.conflicts) {
            _ = try await results.create(province: world.a.id, late, submit: false, idempotencyKey: nil, caller: commune)
        }
        try await world.app.withTenant(world.a.id) { tx in
            try await tx.query(
                """
                INSERT INTO chitieu.deadline_exception (province_id, unit_id, year, reason, until)
                VALUES (\(world.a.id), \(world.unitsA.district), 2022, 'Bổ sung số liệu theo yêu cầu của tỉnh', current_date + 7)
                """)
        }
        let (draft, _) = try await results.create(province: world.a.id, late, submit: false, idempotencyKey: nil, caller: commune)
        #expect(try await results.submit(province: world.a.id, id: draft.id, caller: commune).state == .submitted)
        await world.shutdown()
    }

    /// The SQL computation against the arithmetic stated in Swift, on random results: achieved,
    /// rate and status of every unit, year and the phase.
    @Test(arguments: [1, 2, 3]) func theDatabaseAgreesWithTheArithmetic(seed: Int) async throws {
        let (world, phase, teams, courses) = try await world()
        var rng = SeededRandom(seed: UInt64(seed))
        let su = try await world.db.superuserConnection()
        let units = try await su.query("SELECT unit_id, parent_id, level FROM chitieu.admin_unit WHERE province_id = \(world.a.id)")
            .map { (try $0.decode(Int64.self, at: 0), try $0.decode(Int64?.self, at: 1), try $0.decode(String.self, at: 2)) }
        let communes = units.filter { $0.2 == "commune" }.map(\.0)
        let districts = units.filter { $0.2 == "district" }.map(\.0)
        var rows: [(indicator: Int64, unit: Int64, end: String, value: Int, state: String)] = []
        for _ in 0..<400 {
            let stock = rng.next() % 2 == 0
            let unit = stock ? communes[Int(rng.next() % UInt64(communes.count))] : districts[Int(rng.next() % UInt64(districts.count))]
            let year = 2021 + Int(rng.next() % 5)
            let month = 1 + Int(rng.next() % 12)
            let state = ["approved", "approved", "submitted", "returned", "draft"][Int(rng.next() % 5)]
            rows.append((stock ? teams : courses, unit, String(format: "%04d-%02d-28", year, month), Int(rng.next() % 9), state))
        }
        for (i, r) in rows.enumerated() {
            try await su.query(
                """
                INSERT INTO chitieu.result (province_id, indicator_id, unit_id, period_start, period_end, value, state, decided_at)
                VALUES (\(world.a.id), \(r.indicator), \(r.unit), \(r.end)::date - 27, \(r.end)::date, \(r.value), \(r.state),
                        now() + make_interval(secs => \(i)))
                """)
        }
        await su.close()
        _ = try await ProgressStore(database: world.app).compute(province: world.a.id, phaseID: phase, today: day("2024-06-30"))
        let parents = Dictionary(uniqueKeysWithValues: units.map { ($0.0, $0.1) })
        for (indicator, kind) in [(teams, IndicatorKind.stock), (courses, IndicatorKind.flow)] {
            for year in [2021, 2022, 2023, 2024, 2025, nil] as [Int?] {
                let picked = rows.enumerated().filter { $0.element.indicator == indicator && (year == nil || $0.element.end.hasPrefix(String(year!))) }
                func observations(_ states: Set<String>) -> [Observation] {
                    picked.filter { states.contains($0.element.state) }.map { (i, r) in
                        Observation(unitID: r.unit, periodEnd: Int(r.end.replacingOccurrences(of: "-", with: ""))!,
                                    sequence: (r.state == "approved" ? 1_000_000 : 0) + i, value: r.value)
                    }
                }
                let approved = Progress.rollUp(Progress.levels(observations(["approved"]), kind: kind), parents: parents)
                let withSubmitted = Progress.rollUp(Progress.levels(observations(["approved", "submitted"]).map {
                    var o = $0; o.sequence %= 1_000_000; return o
                }, kind: kind), parents: parents)
                // 30 June 2024 is day 182 of 366.
                let elapsed = Progress.elapsedShare(first: year ?? 2021, last: year ?? 2025, year: 2024, dayOfYear: 182, daysInYear: 366)
                for (unit, _, _) in units {
                    let f = try await figure(world, phase, indicator: indicator, unit: unit, year: year)
                    #expect(f.achieved == approved[unit] ?? 0, "\(kind) \(year.map(String.init) ?? "phase") unit \(unit): achieved")
                    let status = Progress.status(achieved: f.achieved, target: f.target, elapsedShare: elapsed, suspended: false)
                    #expect(f.status == status.rawValue, "\(kind) \(year.map(String.init) ?? "phase") unit \(unit): status of \(f.achieved) of \(f.target ?? 0)")
                    let rate = Progress.rate(achieved: f.achieved, target: f.target)
                    #expect((f.rate == nil) == (rate == nil) && abs((f.rate ?? 0) - (rate ?? 0)) <= 5e-7, "\(kind) \(year.map(String.init) ?? "phase") unit \(unit): rate")
                    if kind == .flow {
                        #expect(f.withSubmitted == withSubmitted[unit] ?? 0, "\(kind) \(year.map(String.init) ?? "phase") unit \(unit): with submitted")
                    }
                }
            }
        }
        await world.shutdown()
    }
}

/// A small deterministic generator (SplitMix64) for reproducible random inputs.
struct SeededRandom {
    var state: UInt64
    init(seed: UInt64) { state = seed &* 0x9E37_79B9_7F4A_7C15 }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
