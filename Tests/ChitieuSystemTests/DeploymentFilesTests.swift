import ChitieuTestSupport
import ChitieuTesting
import Foundation
import Testing

@Suite("Deployment files agree with the code")
struct DeploymentFilesTests {
    /// The `CHITIEU_*` names in `text`.
    static func settings(in text: String) -> Set<String> {
        let pattern = try! NSRegularExpression(pattern: "CHITIEU_[A-Z_]+")
        return Set(pattern.matches(in: text, range: NSRange(text.startIndex..., in: text)).compactMap { Range($0.range, in: text).map { String(text[$0]) } })
    }

    /// Every setting the product reads is documented in the environment file, and the file
    /// documents none the product does not read.
    @Test func theEnvironmentFileDocumentsEverySettingTheCodeReads() throws {
        let root = try TestDatabase.repositoryRoot()
        var read = Set<String>()
        let sources = root.appendingPathComponent("Sources")
        for case let file as URL in FileManager.default.enumerator(at: sources, includingPropertiesForKeys: nil)!
        where file.pathExtension == "swift" && !file.path.contains("/ChitieuTesting/") {
            let text = try String(contentsOf: file, encoding: .utf8)
            // Names the code reads are string literals ("CHITIEU_PORT").
            for name in Self.settings(in: text) where text.contains("\"\(name)\"") { read.insert(name) }
        }
        #expect(read.contains("CHITIEU_DATABASE_URL") && read.contains("CHITIEU_PORT"))
        let documented = Self.settings(in: try String(contentsOf: root.appendingPathComponent("Deploy/chitieu.env"), encoding: .utf8))
        #expect(read.subtracting(documented).isEmpty, "read by the code but not in Deploy/chitieu.env: \(read.subtracting(documented).sorted())")
        #expect(documented.subtracting(read).isEmpty, "in Deploy/chitieu.env but read by no code: \(documented.subtracting(read).sorted())")
    }

    /// The units run the commands docs/operations.md names, with the environment file.
    @Test(arguments: [("chitieu.service", "serve"), ("chitieu-work.service", "work")])
    func theSystemdUnitsRunTheDaemonWithTheEnvironmentFile(unit: String, command: String) throws {
        let root = try TestDatabase.repositoryRoot()
        let text = try String(contentsOf: root.appendingPathComponent("Deploy/systemd/\(unit)"), encoding: .utf8)
        let lines = text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty && !$0.hasPrefix("#") }
        #expect(lines.contains("[Unit]") && lines.contains("[Service]") && lines.contains("[Install]"))
        #expect(lines.contains("ExecStart=/usr/local/bin/chitieu \(command)"))
        #expect(lines.contains("EnvironmentFile=/etc/chitieu/chitieu.env"))
        #expect(lines.contains("KillSignal=SIGTERM") && lines.contains("User=chitieu") && lines.contains("NoNewPrivileges=yes"))
    }
}
