import ChitieuTestSupport
import ChitieuTesting
import Foundation
import Testing

@Suite("Import commands, end to end")
struct ImportCommandTests {
    @Test func templatesDryRunsImportsAndRefusals() async throws {
        let commands = try await OperatorCommands.withUnitsAndCatalogue()
        func run(_ args: [String]) async throws -> CommandResult { try await commands.run(args) }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("chitieu-import-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        func file(_ name: String, _ text: String? = nil) -> String {
            let path = folder.appendingPathComponent(name).path
            if let text { FileManager.default.createFile(atPath: path, contents: Data(text.utf8)) }
            return path
        }

        let template = try await run(["result", "template", "--province", "10", "--period", "2026-Q1", "--out", file("mau.csv")])
        #expect(template.status == 0, "\(template.error)")
        let bytes = try #require(FileManager.default.contents(atPath: file("mau.csv")))
        #expect(bytes.starts(with: [0xEF, 0xBB, 0xBF]))
        let lines = String(decoding: bytes.dropFirst(3), as: UTF8.self).split(whereSeparator: \.isNewline)
        #expect(lines[0].hasPrefix("Mã đơn vị [unit_code],Tên đơn vị [unit_name],Mã chỉ tiêu [indicator_code]"))
        #expect(template.output.contains("Wrote \(lines.count - 1) rows"))
        let xlsx = try await run(["result", "template", "--province", "10", "--period", "2026", "--level", "district", "--out", file("mau.xlsx")])
        #expect(xlsx.status == 0 && FileManager.default.contents(atPath: file("mau.xlsx"))?.starts(with: [0x50, 0x4B]) == true)

        let header = "Mã đơn vị [unit_code],Mã chỉ tiêu [indicator_code],Kỳ báo cáo [period],Giá trị [value],Số liệu đi kèm [companion_value]\n"
        let good = file("tot.csv", header + "02959,DA8-01,2026-Q1,2,18\n02947,DA8-01,2026-Q1,1,9\n")
        let dry = try await run(["result", "import", "--province", "10", "--file", good, "--dry-run"])
        #expect(dry.status == 0 && dry.output.contains("2 rows checked; would record 2, 0 unchanged"), "\(dry.output) \(dry.error)")
        let done = try await run(["result", "import", "--province", "10", "--file", good, "--submit", "--json"])
        #expect(done.status == 0, "\(done.error)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(done.output.utf8)) as? [String: Any])
        #expect(json["recorded"] as? Int == 2 && json["accepted"] as? Bool == true)
        let again = try await run(["result", "import", "--province", "10", "--file", good])
        #expect(again.status == 0 && again.output.contains("recorded 0, 2 unchanged"), "\(again.output)")
        let listed = try await run(["result", "list", "--province", "10", "--json"])
        #expect((try JSONSerialization.jsonObject(with: Data(listed.output.utf8)) as? [Any])?.count == 2)

        let bad = file("loi.csv", header + "02959,DA8-01,2026-Q1,hai,18\n99999,DA8-01,2026-Q1,1,\n")
        let refused = try await run(["result", "import", "--province", "10", "--file", bad])
        #expect(refused.status == 1 && refused.error.contains("2 rows have problems"))
        #expect(refused.output.contains("Dòng 2, cột D: Giá trị phải là số nguyên"), "\(refused.output)")
        #expect(refused.output.contains("Dòng 3, cột A:"), "\(refused.output)")

        let targets = try await run(["target", "template", "--province", "10", "--phase", "2026-2030", "--year", "2026", "--level", "district", "--out", file("ct.csv")])
        #expect(targets.status == 0, "\(targets.error)")
        let setFile = file("ct2.csv", "Mã đơn vị [unit_code],Mã chỉ tiêu [indicator_code],Năm [year],Chỉ tiêu giao [target]\n087,DA8-01,2026,12\n087,DA8-01,,60\n")
        let set = try await run(["target", "import", "--province", "10", "--phase", "2026-2030", "--file", setFile])
        #expect(set.status == 0 && set.output.contains("recorded 2"), "\(set.output) \(set.error)")
        let noPhase = try await run(["target", "import", "--province", "10", "--phase", "2099-2100", "--file", setFile])
        #expect(noPhase.status == 1 && noPhase.error.contains("2099-2100"))
    }
}
