import ChitieuDomain
import ChitieuStore
import ChitieuTestSupport
import ChitieuTesting
import Foundation
import Postgres
import Testing

@Suite("Results and completion through the commands, psql, a workbook and a worker")
struct ReportingEndToEndTests {

    /// The reporting views' columns: a contract with the tools that read them (add at the end, never drop or rename).
    static let viewColumns: [String: [String]] = [
        "provinces": ["province_id", "code", "name", "valid_from", "valid_to"],
        "units": ["province_id", "unit_id", "level", "code", "name", "type_label", "parent_id", "parent_code", "parent_name", "valid_from", "valid_to"],
        "unit": ["province_id", "unit_id", "code", "name", "level", "type_label", "level_label", "parent_id", "parent_code", "parent_name", "path", "path_codes", "valid_from", "valid_to"],
        "indicator": ["province_id", "indicator_id", "code", "name", "name_en", "measure_unit", "kind", "kind_label", "reporting_levels", "companion_measure", "status", "status_label", "suspended_from", "suspended_reason", "disaggregation", "companion_disaggregation"],
        "target_yearly": ["province_id", "indicator_id", "indicator_code", "indicator_name", "phase", "unit_id", "unit_level", "unit_code", "unit_name", "year", "target", "origin", "locked", "set_at"],
        "target_phase": ["province_id", "indicator_id", "indicator_code", "indicator_name", "phase", "unit_id", "unit_level", "unit_code", "unit_name", "target", "origin", "locked", "set_at",
                         "plan_number", "plan_date", "plan_issuer", "plan_title", "plan_citation"],
        "result": ["province_id", "result_id", "indicator_id", "indicator_code", "unit_id", "unit_code", "unit_name", "unit_level", "period_start", "period_end", "year", "value", "breakdown", "companion_value", "evidence_note", "state", "state_label", "return_reason", "created_at", "submitted_at", "decided_at", "companion_breakdown"],
        "progress_yearly": ["province_id", "indicator_id", "indicator_code", "indicator_name", "measure_unit", "phase", "year", "unit_id", "unit_level", "unit_code", "unit_name", "parent_id", "target", "achieved", "rate", "achieved_with_submitted", "companion_measure", "companion", "rate_with_submitted", "status", "status_label", "computed_at"],
        "progress_phase": ["province_id", "indicator_id", "indicator_code", "indicator_name", "measure_unit", "phase", "unit_id", "unit_level", "unit_code", "unit_name", "parent_id", "target", "achieved", "rate", "achieved_with_submitted", "companion_measure", "companion", "rate_with_submitted", "status", "status_label", "computed_at"],
        "province_summary": ["province_id", "phase", "indicators", "completed", "suspended", "on_track", "behind", "summary_label", "computed_at"],
        "unit_summary": ["province_id", "unit_id", "unit_level", "unit_code", "unit_name", "phase", "indicators", "completed", "suspended", "on_track", "behind", "summary_label", "computed_at"],
        "completeness": ["province_id", "phase", "year", "period", "period_kind", "period_start", "period_end", "unit_id", "unit_level", "unit_code", "unit_name", "parent_id", "indicator_id", "indicator_code", "indicator_name", "state", "state_label", "results", "last_change", "closes_on", "days_left"],
        "completeness_unit": ["province_id", "phase", "year", "period", "period_kind", "period_start", "period_end", "unit_id", "unit_level", "unit_code", "unit_name", "parent_id", "indicators", "approved", "submitted", "returned", "draft", "nothing", "reported_percent", "closes_on", "days_left"],
        "completeness_level": ["province_id", "phase", "year", "period", "period_kind", "period_start", "period_end", "unit_level", "level_label", "units", "units_without_reports", "indicators", "approved", "submitted", "returned", "draft", "nothing", "reported_percent", "closes_on", "days_left"],
        "audit": ["province_id", "event_id", "at", "actor", "via", "request_id", "action", "entity_type", "entity_id", "unit_id", "before", "after"],
    ]

    @Test func theDemoFiguresThroughCommandsViewsPsqlAndAWorkbook() async throws {
        let db = try await TestDatabase.make()
        let commands = try OperatorCommands(db)
        func run(_ args: [String], input: String? = nil) async throws -> CommandResult {
            let result = try await commands.run(args, input: input)
            #expect(result.status == 0, "chitieu \(args.joined(separator: " ")): \(result.error)")
            return result
        }
        let units = commands.units2021
        _ = try await run(["units", "import", "--file", units, "--province", "10"])
        _ = try await run(["units", "import", "--file", units, "--province", "15"])
        for p in ["10", "15"] {
            _ = try await run(["indicator", "import", "--province", p, "--file", commands.catalogue])
            for (code, value) in [("DA8-01", 424), ("DA8-02", 85), ("DA8-03", 28), ("DA8-04", 23), ("DA8-05", 151)] {
                _ = try await run(["target", "set", "--province", p, "--indicator", code, "--phase", "2021-2025", "--value", String(value)])
            }
            _ = try await run(["target", "allocate", "--province", p, "--phase", "2021-2025", "--wait"])
            _ = try await run([
                "result", "generate", "--province", p, "--phase", "2021-2025", "--completion", "DA8-01=1,DA8-02=1,DA8-03=1,DA8-04=1,DA8-05=0.7",
                "--companion", "DA8-01=9,DA8-02=23,DA8-03=24,DA8-04=25",
            ])
        }
        let shown = try #require(try json(try await run(["progress", "show", "--province", "10", "--phase", "2021-2025", "--json"]).output) as? [[String: Any]])
        let teams = try #require(shown.first { $0["indicator_code"] as? String == "DA8-01" })
        #expect(teams["achieved"] as? Int == 424 && teams["target"] as? Int == 424 && teams["companion"] as? Int == 3816 && teams["status"] as? String == "completed")
        #expect(shown.first { $0["indicator_code"] as? String == "DA8-10" }?["status"] as? String == "suspended")
        let summary = try #require(try json(try await run(["progress", "summary", "--province", "10", "--json"]).output) as? [[String: Any]])
        #expect(summary.first?["completed"] as? Int == 4 && summary.first?["suspended"] as? Int == 1)

        // A workbook Excel opens: a ZIP with the sheets, Vietnamese headers, numbers as numbers.
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("chitieu-export-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let xlsx = folder.appendingPathComponent("tien-do.xlsx").path
        _ = try await run(["export", "progress", "--province", "10", "--phase", "2021-2025", "--out", xlsx])
        let bytes = try Data(contentsOf: URL(fileURLWithPath: xlsx))
        #expect(bytes.prefix(2) == Data("PK".utf8))
        if let python = ExternalProgram.find("python3") {
            let check = try await ExternalProgram.run(python, ["-c", """
                import sys, zipfile, xml.etree.ElementTree as ET
                z = zipfile.ZipFile(sys.argv[1]); assert z.testzip() is None
                ns = {'m': 'http://schemas.openxmlformats.org/spreadsheetml/2006/main'}
                names = [s.get('name') for s in ET.fromstring(z.read('xl/workbook.xml')).find('m:sheets', ns)]
                sheet = ET.fromstring(z.read('xl/worksheets/sheet1.xml'))
                rows = sheet.find('m:sheetData', ns)
                header = [c.find('m:is/m:t', ns).text for c in rows[0]]
                numbers = [c.find('m:v', ns).text for r in rows[1:] for c in r if c.get('t') is None and c.find('m:v', ns) is not None]
                print('|'.join(names)); print(header[0], header[4], header[9]); print(len(rows) - 1, 'rows', len(numbers), 'numbers')
                print('file', len(open(sys.argv[1], 'rb').read()), 'bytes; parts', sum(i.file_size for i in z.infolist()), 'bytes')
                """, xlsx])
            #expect(check.status == 0, "\(check.error)")
            // The workbook is deflated: a fraction of its parts' size (what a stored archive weighs).
            print("export progress, province 10: \(check.output.split(separator: "\n").last ?? "")")
            #expect(check.output.contains("Cấp tỉnh|Cấp huyện|Cấp xã"), "\(check.output)")
            #expect(check.output.contains("Mã chỉ tiêu Đơn vị hành chính Tỷ lệ hoàn thành (%)"), "\(check.output)")
        }
        let csv = folder.appendingPathComponent("tien-do.csv").path
        _ = try await run(["export", "progress", "--province", "10", "--phase", "2021-2025", "--year", "2024", "--format", "csv", "--out", csv])
        let csvBytes = try Data(contentsOf: URL(fileURLWithPath: csv))
        #expect(csvBytes.prefix(3) == Data([0xEF, 0xBB, 0xBF]))
        #expect(String(decoding: csvBytes.dropFirst(3), as: UTF8.self).hasPrefix("Mã chỉ tiêu,Tên chỉ tiêu"))
        try await checkProvinceReport(commands, folder: folder)

        // psql, as a reporting login of province 10: every view has its documented columns and
        // the province's figures; a login of province 15 sees none of province 10's rows.
        let laocai = "baocao_lc_\(UInt32.random(in: 0...UInt32.max))"
        let yenbai = "baocao_yb_\(UInt32.random(in: 0...UInt32.max))"
        _ = try await run(["reporting", "login", "create", "--province", "10", "--login", laocai], input: "mật khẩu báo cáo 2026\n")
        _ = try await run(["reporting", "login", "create", "--province", "15", "--login", yenbai], input: "mật khẩu báo cáo 2026\n")
        let psql = try ExternalProgram.psql()
        func query(_ login: String, _ sql: String) async throws -> String {
            let result = try await ExternalProgram.run(psql, [db.connectionString(user: login), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c", sql])
            #expect(result.status == 0, "\(sql): \(result.error)")
            return result.output.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        for (view, columns) in Self.viewColumns.sorted(by: { $0.key < $1.key }) {
            let header = try await ExternalProgram.run(
                psql, [db.connectionString(user: laocai), "-X", "-q", "-c", "\\copy (SELECT * FROM reporting.\(view) LIMIT 0) TO STDOUT WITH (FORMAT csv, HEADER)"])
            #expect(header.output.trimmingCharacters(in: .whitespacesAndNewlines) == columns.joined(separator: ","), "reporting.\(view): \(header.output) \(header.error)")
        }
        let province10 = try await query(laocai, "SELECT province_id FROM reporting.provinces")
        #expect(try await query(laocai, "SELECT summary_label FROM province_summary WHERE phase = '2021-2025'") == "4/10 chỉ tiêu đạt 100%")
        #expect(try await query(laocai, "SELECT achieved || ' ' || companion || ' ' || status_label FROM progress_phase WHERE indicator_code = 'DA8-01' AND unit_level = 'province'") == "424 3816 Hoàn thành")
        // Clubs and courses are not women or men: their members and participants are, and add up.
        #expect(try await query(laocai, "SELECT count(*) FROM result WHERE indicator_code IN ('DA8-02', 'DA8-03', 'DA8-04') AND breakdown IS NOT NULL") == "0")
        #expect(try await query(laocai, """
            SELECT count(*) > 0 AND bool_and((companion_breakdown->'sex'->>'nữ')::int + (companion_breakdown->'sex'->>'nam')::int = companion_value
                                             AND (companion_breakdown->'sex'->>'nữ')::int > 0 AND (companion_breakdown->'sex'->>'nam')::int > 0)
            FROM result WHERE indicator_code IN ('DA8-02', 'DA8-03', 'DA8-04') AND companion_value > 2
            """) == "t")
        #expect(try await query(yenbai, "SELECT count(*) FROM progress_yearly WHERE province_id = \(province10)") == "0")
        #expect(try await query(yenbai, "SELECT count(*) FROM result WHERE province_id = \(province10)") == "0")
        #expect(Int(try await query(yenbai, "SELECT count(*) FROM progress_yearly")) ?? 0 > 0)
        _ = try await run(["reporting", "login", "drop", laocai])
        _ = try await run(["reporting", "login", "drop", yenbai])
    }

    /// `chitieu report province` on the demo's figures: the tables for people, the JSON, the
    /// workbook (checked with openpyxl when `CHITIEU_BROWSER_PYTHON` names a Python that has it).
    func checkProvinceReport(_ commands: OperatorCommands, folder: URL) async throws {
        let base = ["report", "province", "--province", "10", "--phase", "2021-2025"]
        let text = try await commands.run(base)
        #expect(text.status == 0, "\(text.error)")
        #expect(text.output.contains("Dự án 8: Thực hiện bình đẳng giới") && text.output.contains("I. Cấp tỉnh") && text.output.contains("III. Cấp xã"))
        // Four of the five indicators with a target complete; DA8-10 suspended.
        #expect(text.output.contains("Hoàn thành 4/5 chỉ tiêu (1 chỉ tiêu tạm dừng)"), "\(text.output.suffix(400))")
        let report = try #require(try ChitieuCommandTests.json(try await commands.run(base + ["--json"]).output) as? [String: Any])
        let tables = try #require(report["tables"] as? [[String: Any]])
        #expect(tables.map { $0["level"] as? String } == ["province", "district", "commune"])
        let lines = try #require(((tables[0]["units"] as? [[String: Any]])?.first?["lines"]) as? [[String: Any]])
        #expect(lines.first { $0["indicator_code"] as? String == "DA8-10" }?["note"] as? String == "Tạm dừng" || lines.contains { ($0["note"] as? String)?.hasPrefix("Tạm dừng") == true })
        let xlsx = folder.appendingPathComponent("bao-cao.xlsx").path
        let wrote = try await commands.run(base + ["--year", "2024", "--output", xlsx])
        #expect(wrote.status == 0 && wrote.output.contains("bao-cao.xlsx"), "\(wrote.error)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: xlsx)).prefix(2) == Data("PK".utf8))
        #expect(try await commands.run(base + ["--year", "2031"]).status == 1)
        guard let python = ProcessInfo.processInfo.environment["CHITIEU_BROWSER_PYTHON"], !python.isEmpty else { return }
        let check = try await ExternalProgram.run(python, ["-c", """
            import sys, openpyxl
            wb = openpyxl.load_workbook(sys.argv[1])
            ws = wb.worksheets[0]
            print("|".join(wb.sheetnames)); print(ws["A1"].value); print(ws.freeze_panes, ws.page_setup.orientation)
            header = [c for c in ws[9]]
            assert header[0].value == "STT" and all(c.font.b for c in header)
            assert isinstance(ws["D10"].value, int) and ws["D10"].number_format == "#,##0"
            """, xlsx])
        #expect(check.status == 0, "\(check.error)")
        #expect(check.output.contains("Cấp tỉnh|Cấp huyện|Cấp xã") && check.output.contains("A10 landscape"), "\(check.output)")
    }

    @Test func anApprovalReachesTheViewsThroughAWorkerWithinSeconds() async throws {
        let world = try await AccessWorld.make()
        try await world.openReporting()
        let su = try await world.db.superuserConnection()
        _ = try await TargetStore(database: world.app).set(
            province: world.a.id, indicatorCode: "DA8-01", phaseCode: "2021-2025", unitCode: nil, year: nil, value: 424, lock: false, caller: .command("test"))
        let phase = try await su.query("SELECT phase_id FROM chitieu.phase WHERE province_id = \(world.a.id) AND code = '2021-2025'")[0].decode(Int64.self, at: 0)
        _ = try await ProgressStore(database: world.app).compute(province: world.a.id, phaseID: phase)
        let worker = try ChitieuCommand.startWorker(databaseURL: world.db.appConnectionString)
        // Stopped and awaited however the test ends (a defer cannot await).
        do {
            // The worker is up and listening before the approval: what is measured is the
            // approval's way to the views, not how long a process takes to start.
            #expect(try await eventually { try await su.listeners(on: JobQueue.channel) > 0 }, "the worker never listened")

            let results = ResultStore(database: world.app)
            let (record, _) = try await results.create(
                province: world.a.id,
                ResultInput(indicatorID: world.indicators[0], unit: .id(world.unitsA.commune), periodStart: PostgresDate(year: 2025, month: 1, day: 1),
                            periodEnd: PostgresDate(year: 2025, month: 12, day: 31), figures: ResultFigures(value: 7)),
                submit: true, idempotencyKey: nil, caller: try await world.caller("xa10", in: world.a))
            _ = try await results.approve(province: world.a.id, id: record.id, caller: try await world.caller("huyen10", in: world.a))
            let approved = ContinuousClock.now
            let seen = try await eventually {
                try await su.query(
                    """
                    SELECT achieved FROM reporting.progress_phase WHERE province_id = \(world.a.id) AND indicator_code = 'DA8-01' AND unit_level = 'province'
                    """)[0].decode(Int.self, at: 0) == 7
            }
            let latency = ContinuousClock.now - approved
            #expect(seen, "the approval did not reach reporting.progress_phase within a minute")
            // Seconds, as the documentation promises (typically well under one). The bound is loose: a
            // loaded machine stalls processes for seconds at a time.
            #expect(latency < .seconds(20), "the approval took \(latency) to reach the view")
            await su.close()
            await world.shutdown()
        } catch {
            worker.terminate()
            await worker.exited()
            throw error
        }
        worker.terminate()
        await worker.exited()
    }
}
