import ChitieuStore
import ChitieuTestSupport
import ChitieuTesting
import Foundation
import HummingbirdTesting
import Testing

/// The Python with Playwright, pytest and openpyxl, and Debian's chromium, that
/// `./Deploy/dev test` installs (`CHITIEU_BROWSER_PYTHON`, `CHITIEU_CHROMIUM`).
let browserPython = ProcessInfo.processInfo.environment["CHITIEU_BROWSER_PYTHON"].flatMap { $0.isEmpty ? nil : $0 }
let chromium = ProcessInfo.processInfo.environment["CHITIEU_CHROMIUM"].flatMap { $0.isEmpty ? nil : $0 }

@Suite("The pages in a real browser")
struct BrowserTests {
    /// Serves `WebWorld` and runs every `Tests/Browser/test_*.py` against it in headless
    /// Chromium at 360×740. Screenshots go to `.build/browser-screenshots/`.
    @Test(.enabled(if: browserPython != nil && chromium != nil, "set CHITIEU_BROWSER_PYTHON and CHITIEU_CHROMIUM (./Deploy/dev test installs them)"))
    func theBrowserTestsPass() async throws {
        let python = try #require(browserPython)
        let web = try await WebWorld.make()
        let names = try await WebPagesTests.unitNames(web.world)
        let clubs = try await WebResultPagesTests.addClubs(web)
        let root = try TestDatabase.repositoryRoot()
        let shots = root.appendingPathComponent(".build/browser-screenshots")
        // With a job worker, as `chitieu serve` runs: the targets page's allocation and an
        // imported file's progress jobs run.
        try await withLivePages(web.world, workers: true) { http in
            let port = try #require(http.port)
            let (a, b) = (web.world.unitsA, web.world.unitsB)
            func officer(_ unit: Int64, _ login: String) -> [String: Any] {
                ["unit_id": unit, "unit_name": names[unit] ?? "", "display_name": "Cán bộ \(login)"]
            }
            let description: [String: Any] = [
                "base_url": "http://127.0.0.1:\(port)", "password": testPassword, "phase": "2021-2025", "hostile_name": WebWorld.hostileName,
                "hostile_unit_id": web.hostileCommune,
                "provinces": ["lao_cai": web.world.a.id, "yen_bai": web.world.b.id],
                "units": [
                    "province": a.province, "district": a.district, "other_district": a.otherDistrict, "commune": a.commune,
                    "other_commune": a.otherCommune, "other_province": b.province, "other_province_commune": b.commune,
                ],
                "indicator_id": web.world.indicators[0], "clubs_indicator_id": clubs,
                "officers": [
                    "canbo.tinh": officer(a.province, "canbo.tinh"), "canbo.huyen": officer(a.district, "canbo.huyen"),
                    "canbo.xa": officer(a.commune, "canbo.xa"), "canbo.yenbai": officer(b.province, "canbo.yenbai"),
                ],
            ]
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("chitieu-web-world-\(UUID().uuidString).json")
            try JSONSerialization.data(withJSONObject: description, options: [.sortedKeys]).write(to: file)
            defer { try? FileManager.default.removeItem(at: file) }
            let environment = [
                "CHITIEU_WEB_WORLD": file.path, "CHITIEU_SCREENSHOTS": shots.path, "PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD": "1", "PYTHONDONTWRITEBYTECODE": "1",
            ]
            let result = try await ExternalProgram.run(
                python, ["-m", "pytest", "Tests/Browser", "-q", "-p", "no:cacheprovider", "--color=no"], environment: environment, directory: root)
            let (status, output) = (result.status, result.output + result.error)
            #expect(status == 0, "the browser tests failed:\n\(output.suffix(8000))")
            #expect(output.contains("passed"), "\(output.suffix(2000))")
        }
        await web.world.shutdown()
    }
}
