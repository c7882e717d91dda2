import ChitieuStore
import ChitieuTestSupport
import ChitieuTesting
import Foundation
import HummingbirdTesting
import Testing

/// The schemathesis program `./Deploy/dev test` installs (`CHITIEU_SCHEMATHESIS`), if any.
let schemathesis = ProcessInfo.processInfo.environment["CHITIEU_SCHEMATHESIS"].flatMap { $0.isEmpty ? nil : $0 }

@Suite("Generated input against the OpenAPI document")
struct GeneratedInputTests {
    /// schemathesis (from PyPI) reads /openapi.json and sends every operation generated valid and
    /// invalid input — and sequences of calls that feed one answer's ids into the next — with a
    /// provincial officer's token: no answer may be a 5xx, and every answer must match the
    /// document (status code, media type, body schema).
    @Test(.enabled(if: schemathesis != nil, "set CHITIEU_SCHEMATHESIS (./Deploy/dev test installs it)"))
    func everyRouteSurvivesGeneratedInput() async throws {
        let program = try #require(schemathesis)
        let world = try await AccessWorld.make()
        try await world.openReporting()
        _ = try await TargetStore(database: world.app).set(
            province: world.a.id, indicatorCode: "DA8-01", phaseCode: "2021-2025", unitCode: nil, year: nil, value: 424, lock: false, caller: .command("test"))
        let (app, _) = try makeApplication(world)
        try await app.test(.live) { client in
            let token = try await APIClient(client: client).login("tinh10")
            let port = try #require(client.port)
            let seed = ProcessInfo.processInfo.environment["CHITIEU_SCHEMATHESIS_SEED"] ?? "2026"
            let arguments = [
                "run", "http://127.0.0.1:\(port)/openapi.json", "--header", "Authorization: Bearer \(token)",
                "--checks", "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance",
                // Logging out would end the run's own session.
                "--exclude-operation-id", "logout",
                "--max-examples", "25", "--seed", seed, "--request-timeout", "120", "--generation-database", "none", "--no-color",
            ]
            let result = try await ExternalProgram.run(program, arguments, directory: FileManager.default.temporaryDirectory)
            let (status, output) = (result.status, result.output + result.error)
            #expect(status == 0, "schemathesis found answers that break the document or fail (seed \(seed)):\n\(output.suffix(6000))")
            #expect(output.contains("passed"), "\(output.suffix(2000))")
        }
        await world.shutdown()
    }
}
