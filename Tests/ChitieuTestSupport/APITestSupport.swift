package import ChitieuServer
package import ChitieuStore
package import ChitieuTesting
package import Foundation
package import Hummingbird
package import HummingbirdTesting
package import Logging
package import Postgres
package import Synchronization

/// A log handler that keeps every line, to check what the daemon writes.
package final class CapturedLogs: Sendable {
    package let lines = Mutex<[String]>([])

    package init() {}

    package var text: String { lines.withLock { $0.joined(separator: "\n") } }

    package func logger() -> Logger {
        Logger(label: "chitieu-test") { _ in CapturingHandler(sink: self) }
    }

    package struct CapturingHandler: LogHandler {
        package let sink: CapturedLogs
        package var metadata: Logger.Metadata = [:]
        package var logLevel: Logger.Level = .trace

        package subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        package func log(event: LogEvent) {
            let all = metadata.merging(event.metadata ?? [:]) { $1 }
            let line = "\(event.level) \(event.message) " + all.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: " ")
            sink.lines.withLock { $0.append(line) }
            if ProcessInfo.processInfo.environment["CHITIEU_TEST_LOGS"] != nil { FileHandle.standardError.write(Data((line + "\n").utf8)) }
        }
    }
}

/// An answer of the API: status, headers, and the body as JSON (when it is).
package struct APIResponse {
    package var status: HTTPResponse.Status
    package var headers: HTTPFields
    package var text: String
    package var json: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:] }
    package var items: [[String: Any]] { json["items"] as? [[String: Any]] ?? [] }
}

/// Calls the API like a client would.
package struct APIClient {
    package let client: any TestClientProtocol

    package init(client: any TestClientProtocol) { self.client = client }

    package func call(
        _ method: HTTPRequest.Method, _ uri: String, token: String? = nil, json: Any? = nil, body: Data? = nil,
        headers extra: HTTPFields = [:]
    ) async throws -> APIResponse {
        var headers = extra
        if let token { headers[.authorization] = "Bearer \(token)" }
        var payload = body
        if let json {
            payload = try JSONSerialization.data(withJSONObject: json)
        }
        if payload != nil && headers[.contentType] == nil { headers[.contentType] = "application/json" }
        let response = try await client.execute(uri: uri, method: method, headers: headers, body: payload.map { ByteBuffer(bytes: $0) })
        return APIResponse(status: response.status, headers: response.headers, text: String(buffer: response.body))
    }

    /// Logs in and returns the bearer token. Like a well-behaved client, it waits and tries again
    /// while the server answers 429 because it is busy checking other logins (many suites sign in
    /// at once on a loaded machine); a 429 of the login throttle itself is returned as it is.
    package func login(_ username: String, password: String = testPassword) async throws -> String {
        var response = try await call(.post, "/v1/sessions", json: ["username": username, "password": password])
        var attempts = 1
        while response.status == .tooManyRequests, response.text.contains("busy checking other logins"), attempts < 30 {
            try await Task.sleep(for: .milliseconds(200 * min(attempts, 5)))
            response = try await call(.post, "/v1/sessions", json: ["username": username, "password": password])
            attempts += 1
        }
        guard response.status == .created, let token = response.json["token"] as? String else {
            throw TestHarnessError("login of \(username) failed: \(response.status) \(response.text)")
        }
        return token
    }

    /// Tokens of AccessWorld's officers of province 10: the province's, a district's, a
    /// commune's, and a viewer's.
    package func officers() async throws -> (province: String, district: String, commune: String, viewer: String) {
        (try await login("tinh10"), try await login("huyen10"), try await login("xa10"), try await login("xem10"))
    }
}

/// The daemon's application over a world, with cheap password hashing and the given limits.
package func makeApplication(
    _ world: AccessWorld, limits: LoginLimits = LoginLimits(), logs: CapturedLogs = CapturedLogs()
) throws -> (some ApplicationProtocol, PostgresPool) {
    let pool = world.db.appPool(maxConnections: 6)
    let app = ChitieuApplication.make(
        configuration: ServerConfiguration(host: "127.0.0.1", port: 0, loginLimits: limits, passwordParameters: testPasswordParameters),
        database: ChitieuDatabase(pool: pool), migrations: try MigrationSet.load(from: try TestDatabase.sqlDirectory()),
        logger: logs.logger())
    return (app, pool)
}

/// Runs `body` against the daemon of `world` over real HTTP (a live server on a free port).
package func withLiveAPI(
    _ world: AccessWorld, limits: LoginLimits = LoginLimits(), logs: CapturedLogs = CapturedLogs(),
    _ body: @escaping @Sendable (APIClient) async throws -> Void
) async throws {
    let (app, _) = try makeApplication(world, limits: limits, logs: logs)
    try await app.test(.live) { client in try await body(APIClient(client: client)) }
}

/// Runs `body` against the daemon of a fresh `AccessWorld` over real HTTP, then shuts the world down.
package func withLiveAPIWorld(_ body: @escaping @Sendable (AccessWorld, APIClient) async throws -> Void) async throws {
    let world = try await AccessWorld.make()
    try await withLiveAPI(world) { api in try await body(world, api) }
    await world.shutdown()
}
