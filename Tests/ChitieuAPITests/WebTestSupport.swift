import ChitieuDomain
import ChitieuJobs
import ChitieuServer
import ChitieuStore
import ChitieuTestSupport
import ChitieuTesting
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Postgres

/// The world of the page tests: `AccessWorld`'s two provinces with the demo's officers
/// (canbo.tinh, canbo.huyen, canbo.xa of Lào Cai; canbo.yenbai of Yên Bái), a phase target
/// allocated down the tree, an approved result of the commune, figures computed, and a commune
/// of the district named `<script>alert(1)</script>`.
struct WebWorld {
    static let hostileName = "<script>alert(1)</script>"
    let world: AccessWorld
    /// The commune with the hostile name (in `unitsA.district`, beside `unitsA.commune`).
    let hostileCommune: Int64

    static func make() async throws -> WebWorld {
        let world = try await AccessWorld.make()
        let u = world.unitsA
        try await world.openReporting()
        let su = try await world.db.superuserConnection()
        let hostile = try await su.query(
            """
            SELECT unit_id FROM chitieu.admin_unit WHERE province_id = \(world.a.id) AND parent_id = \(u.district) AND unit_id <> \(u.commune)
            ORDER BY code LIMIT 1
            """)[0].decode(Int64.self, at: 0)
        try await su.query("UPDATE chitieu.admin_unit SET name = \(hostileName) WHERE province_id = \(world.a.id) AND unit_id = \(hostile)")
        await su.close()
        try await world.officer("canbo.tinh", in: world.a, role: .province, at: u.province)
        try await world.officer("canbo.huyen", in: world.a, role: .district, at: u.district)
        try await world.officer("canbo.xa", in: world.a, role: .commune, at: u.commune)
        try await world.officer("canbo.yenbai", in: world.b, role: .province, at: world.unitsB.province)
        for p in [world.a, world.b] { try await world.allocatePhaseTarget(in: p) }
        try await world.approvedCommuneResult(value: 3816)
        try await world.computeProgress([world.a, world.b])
        return WebWorld(world: world, hostileCommune: hostile)
    }
}

/// Runs `body` against the pages of a fresh `WebWorld` (with a job worker if asked), then shuts
/// the world down.
func withWebWorld(workers: Bool = false, _ body: @escaping @Sendable (WebWorld, any TestClientProtocol) async throws -> Void) async throws {
    let web = try await WebWorld.make()
    try await withLivePages(web.world, workers: workers) { http in try await body(web, http) }
    await web.world.shutdown()
}

/// A browser's view of the pages: it keeps cookies, follows nothing by itself, and finds the
/// CSRF token of the last page it read.
final class WebClient: @unchecked Sendable {
    // One test task uses a client at a time; the lock-free state is never shared across tasks.
    let client: any TestClientProtocol
    var cookies: [String: String] = [:]
    var csrf: String?

    init(_ client: any TestClientProtocol) { self.client = client }

    struct Page {
        var status: HTTPResponse.Status
        var headers: HTTPFields
        var body: ByteBuffer
        var text: String { String(buffer: body) }
        var location: String? { headers[.location] }
        var setCookies: [String] { headers[values: .setCookie] }
    }

    /// A request with the cookies kept; remembers new cookies and the page's CSRF token.
    @discardableResult
    func request(
        _ method: HTTPRequest.Method, _ uri: String, form: [(String, String)]? = nil, headers extra: HTTPFields = [:], body raw: Data? = nil
    ) async throws -> Page {
        var headers = extra
        headers[.accept] = "text/html"
        if !cookies.isEmpty { headers[.cookie] = cookies.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: "; ") }
        var body: ByteBuffer? = raw.map { ByteBuffer(bytes: $0) }
        if let form {
            headers[.contentType] = "application/x-www-form-urlencoded"
            let allowed = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
            body = ByteBuffer(string: form.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: allowed)!)" }.joined(separator: "&"))
        }
        let response = try await client.execute(uri: uri, method: method, headers: headers, body: body)
        let page = Page(status: response.status, headers: response.headers, body: response.body)
        for header in page.setCookies {
            let pair = header.split(separator: ";")[0].split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let (name, value) = (String(pair[0]), pair.count > 1 ? String(pair[1]) : "")
            if value.isEmpty || header.contains("Max-Age=0") { cookies[name] = nil } else { cookies[name] = value }
        }
        if let token = Self.hidden("_csrf", in: page.text) { csrf = token }
        return page
    }

    /// The value of a hidden input in HTML.
    static func hidden(_ name: String, in html: String) -> String? {
        guard let range = html.range(of: "name=\"\(name)\" value=\"") else { return nil }
        let rest = html[range.upperBound...]
        return rest.firstIndex(of: "\"").map { String(rest[..<$0]) }
    }

    /// Signs in through the form; returns the answer to the form's POST. Like an officer, it
    /// waits and tries again while the page says the server is busy checking other logins (many
    /// suites sign in at once on a loaded machine).
    @discardableResult
    func signIn(_ username: String, password: String = testPassword) async throws -> Page {
        var attempts = 0
        while true {
            try await request(.get, "/dang-nhap")
            let page = try await request(.post, "/dang-nhap", form: [("_csrf", csrf ?? ""), ("username", username), ("password", password), ("tiep", "/tong-quan")])
            attempts += 1
            guard page.status == .tooManyRequests, page.text.contains("Máy chủ đang bận"), attempts < 30 else { return page }
            try await Task.sleep(for: .milliseconds(200 * min(attempts, 5)))
        }
    }

    /// A client signed in as `login` that has read the page at `path`, if given (its forms' token in hand).
    static func signedIn(_ http: any TestClientProtocol, _ login: String, at path: String? = nil) async throws -> WebClient {
        let client = WebClient(http)
        try await client.signIn(login)
        if let path { try await client.request(.get, path) }
        return client
    }

    /// Posts a multipart form with a file (and the session's CSRF token unless `csrf` is false).
    @discardableResult
    func upload(_ uri: String, _ fields: [String: String], file: Data, filename: String, csrf withToken: Bool = true) async throws -> Page {
        let token = withToken ? ["_csrf": csrf ?? ""] : [:]
        let (body, headers) = ImportsAPITests.form(fields.merging(token) { a, _ in a }, file: file, filename: filename)
        return try await request(.post, uri, headers: headers, body: body)
    }

    /// Posts a form with the session's CSRF token.
    @discardableResult
    func post(_ uri: String, _ form: [(String, String)]) async throws -> Page {
        try await request(.post, uri, form: [("_csrf", csrf ?? "")] + form)
    }
}

/// The daemon of a page test, with the given trusted proxies; with `workers`, a job worker
/// beside it (as `chitieu serve` runs one) that runs the jobs the pages cause (allocations, progress).
func withLivePages(
    _ world: AccessWorld, trustedProxies: Set<String> = [], workers: Bool = false,
    _ body: @escaping @Sendable (any TestClientProtocol) async throws -> Void
) async throws {
    try await withLivePages(world.db, trustedProxies: trustedProxies, workers: workers, body)
}

/// The daemon of a page test over any test database.
func withLivePages(
    _ db: TestDatabase, trustedProxies: Set<String> = [], workers: Bool = false,
    _ body: @escaping @Sendable (any TestClientProtocol) async throws -> Void
) async throws {
    let pool = db.appPool(maxConnections: 6)
    let database = ChitieuDatabase(pool: pool)
    let logger = CapturedLogs().logger()
    let worker = JobWorker(queue: JobQueue(pool: pool), handlers: StandardJobs.handlers(database: database), listen: pool.configuration, logger: logger)
    let app = ChitieuApplication.make(
        configuration: ServerConfiguration(host: "127.0.0.1", port: 0, passwordParameters: testPasswordParameters, trustedProxies: trustedProxies),
        database: database, migrations: try MigrationSet.load(from: try TestDatabase.sqlDirectory()), services: workers ? [worker] : [],
        logger: logger)
    try await app.test(.live) { client in try await body(client) }
}
