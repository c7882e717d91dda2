import ChitieuTestSupport
import ChitieuTesting
import Foundation
import Testing

@Suite("Documentation links lead somewhere")
struct DocumentationLinksTests {
    /// The pages a reader moves between: the README, everything under `docs/`, the SQL folder's
    /// and the Citus recipe's READMEs.
    static func pages(root: URL) -> [URL] {
        let docs = root.appendingPathComponent("docs")
        let underDocs = FileManager.default.enumerator(at: docs, includingPropertiesForKeys: nil)?
            .compactMap { $0 as? URL }.filter { $0.pathExtension == "md" } ?? []
        return ["README.md", "SQL/README.md", "Deploy/citus/README.md"].map { root.appendingPathComponent($0) } + underDocs
    }

    /// The lines of a Markdown page outside fenced code blocks.
    static func prose(_ text: String) -> [Substring] {
        var inCode = false
        return text.split(separator: "\n", omittingEmptySubsequences: false).filter { line in
            if line.hasPrefix("```") { inCode.toggle(); return false }
            return !inCode
        }
    }

    /// The anchor GitHub gives a heading: lower case, punctuation dropped, spaces as hyphens.
    static func anchor(_ heading: Substring) -> String {
        String(heading.lowercased().compactMap { c -> Character? in
            if c == " " { return "-" }
            return c.isLetter || c.isNumber || c == "-" || c == "_" ? c : nil
        })
    }

    /// The anchors of a page's headings.
    static func anchors(of page: URL) throws -> Set<String> {
        let text = try String(contentsOf: page, encoding: .utf8)
        return Set(prose(text).filter { $0.hasPrefix("#") }.map { anchor($0.drop { $0 == "#" }.drop { $0 == " " }) })
    }

    /// Every relative link of every page names a file of the repository, and a heading of it
    /// when it names one.
    @Test func everyRelativeLinkLeadsToAFileAndHeadingThatExist() throws {
        let root = try TestDatabase.repositoryRoot()
        let link = try NSRegularExpression(pattern: #"\]\(([^)\s]+)\)"#)
        var checked = 0
        for page in Self.pages(root: root) {
            let text = try String(contentsOf: page, encoding: .utf8)
            for line in Self.prose(text) {
                let line = String(line)
                for match in link.matches(in: line, range: NSRange(line.startIndex..., in: line)) {
                    let target = String(line[Range(match.range(at: 1), in: line)!])
                    if target.contains("://") || target.hasPrefix("mailto:") { continue }
                    let parts = target.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)
                    let file = parts[0].isEmpty ? page : page.deletingLastPathComponent().appendingPathComponent(String(parts[0])).standardizedFileURL
                    let place = "\(page.lastPathComponent): \(target)"
                    #expect(FileManager.default.fileExists(atPath: file.path), "no such file: \(place)")
                    if parts.count == 2, file.pathExtension == "md", FileManager.default.fileExists(atPath: file.path) {
                        #expect(try Self.anchors(of: file).contains(String(parts[1])), "no such heading: \(place)")
                    }
                    checked += 1
                }
            }
        }
        #expect(checked > 20, "only \(checked) links found: the pattern no longer matches the pages")
    }

    /// The anchors this test computes are GitHub's.
    @Test func headingsGiveGitHubsAnchors() {
        #expect(Self.anchor("Sizing, and when to move to Citus") == "sizing-and-when-to-move-to-citus")
        #expect(Self.anchor("Checking: `chitieu doctor`") == "checking-chitieu-doctor")
        #expect(Self.anchor("The 2025 reform: units that change") == "the-2025-reform-units-that-change")
    }
}
