import ChitieuServer
import ChitieuStore
import ChitieuTestSupport
import ChitieuTesting
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Postgres
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite("Slow clients and a stalled database")
struct StallTests {
    /// A server that needs no database for what these tests ask (`/health`), caching nothing.
    static func server(_ limits: HTTPConnectionLimits, port: Int = 0, logs: CapturedLogs = CapturedLogs()) throws -> (some ApplicationProtocol, PostgresPool) {
        let pool = TestDatabase.pool("host=/nonexistent dbname=none")
        let app = ChitieuApplication.make(
            configuration: ServerConfiguration(host: "127.0.0.1", port: port, tokenCacheSeconds: 0, figuresCacheSeconds: 0, connectionLimits: limits),
            database: ChitieuDatabase(pool: pool), migrations: try MigrationSet.load(from: try TestDatabase.sqlDirectory()), logger: logs.logger())
        return (app, pool)
    }

    static let health = "GET /health HTTP/1.1\r\nHost: x\r\n\r\n"

    /// Whether the server let `connection` go: it closed it within 30 s, or, when it did not
    /// seem to, it does not answer `rest` (the end of the request) either. A process another test
    /// starts meanwhile (a cluster, a daemon) may hold a copy of the server's socket, which keeps
    /// the connection from closing on the wire after the server closed it.
    static func wasCutOff(_ connection: RawConnection, rest: String) async -> Bool {
        if await connection.receive(for: .seconds(30)).closed { return true }
        return await finish(connection, rest)
    }

    /// Sends the end of a request: true when the connection is closed or nothing answers it.
    static func finish(_ connection: RawConnection, _ rest: String) async -> Bool {
        guard await connection.send(rest) else { return true }
        let (text, closed) = await connection.receive(for: .seconds(3))
        return closed || RawConnection.status(text) == 0
    }

    /// A connection with nothing to say is closed after the idle limit: before its first
    /// request, and between keep-alive requests.
    @Test func idleConnectionsAreClosed() async throws {
        let (app, _) = try Self.server(HTTPConnectionLimits(idle: .seconds(1), head: .seconds(600), body: .seconds(600)))
        try await app.test(.live) { client in
            let port = try #require(client.port)
            let silent = try await RawConnection.open(port: port)
            let kept = try await RawConnection.open(port: port)
            await kept.send(Self.health)
            let (answer, closedAtOnce) = await kept.receive(for: .milliseconds(500))
            #expect(RawConnection.status(answer) == 200 && !closedAtOnce, "\(answer)")
            // Without the limit both would stay open and answer; the wait only allows for a loaded machine.
            #expect(await Self.wasCutOff(silent, rest: Self.health), "a connection that sent nothing stayed open")
            #expect(await Self.wasCutOff(kept, rest: Self.health), "an idle keep-alive connection stayed open")
            silent.close()
            kept.close()
        }
    }

    /// A head sent a byte at a time is cut off at the head limit, however long the idle one.
    @Test func aHeadSentAByteAtATimeIsCutOff() async throws {
        let (app, _) = try Self.server(HTTPConnectionLimits(idle: .seconds(600), head: .seconds(1), body: .seconds(600)))
        try await app.test(.live) { client in
            let connection = try await RawConnection.open(port: try #require(client.port))
            let head = Array("GET /health HTTP/1.1\r\nHost: x\r\n" + String(repeating: "X-Slow: a\r\n", count: 200) + "\r\n")
            var closed = false
            var sent = 0
            let start = ContinuousClock.now
            while sent < head.count - 4, ContinuousClock.now - start < .seconds(30) {
                guard await connection.send(String(head[sent])) else { closed = true; break }
                sent += 1
                if await connection.receive(for: .milliseconds(100)).closed { closed = true; break }
            }
            let cutOff = closed ? true : await Self.finish(connection, String(head[sent...]))
            #expect(cutOff, "a head trickling in for \(ContinuousClock.now - start) was not cut off")
            connection.close()
        }
    }

    /// A body sent a byte at a time, or announced and never sent, is cut off at the body limit.
    @Test func aBodyTooSlowOrNeverSentIsCutOff() async throws {
        let (app, _) = try Self.server(HTTPConnectionLimits(idle: .seconds(600), head: .seconds(600), body: .seconds(1)))
        try await app.test(.live) { client in
            let port = try #require(client.port)
            let post = "POST /v1/sessions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n"
            let absent = try await RawConnection.open(port: port)
            await absent.send(post)
            let slow = try await RawConnection.open(port: port)
            await slow.send(post)
            var closed = false
            var sent = 0
            let start = ContinuousClock.now
            while sent < 900, ContinuousClock.now - start < .seconds(30) {
                guard await slow.send(" ") else { closed = true; break }
                sent += 1
                if await slow.receive(for: .milliseconds(200)).closed { closed = true; break }
            }
            let cutOff = closed ? true : await Self.finish(slow, String(repeating: " ", count: 1000 - sent))
            #expect(cutOff, "a body trickling in for \(ContinuousClock.now - start) was not cut off")
            #expect(
                await Self.wasCutOff(absent, rest: String(repeating: " ", count: 1000)),
                "a body announced and never sent held the connection")
            absent.close()
            slow.close()
        }
    }

    /// Past the cap, a connection waits (in the listen queue) until another one closes.
    @Test func connectionsBeyondTheCapWaitForOneToClose() async throws {
        // Run as `serve` runs it: the test harness's server drops the cap.
        let port = Int.random(in: 20_000...45_000)
        let (app, _) = try Self.server(HTTPConnectionLimits(maxConnections: 2), port: port)
        let running = Task { try await app.run() }
        defer { running.cancel() }
        #expect(try await eventually {
            guard let probe = try? await RawConnection.open(port: port) else { return false }
            defer { probe.close() }
            await probe.send(Self.health)
            return RawConnection.status(await probe.receive(for: .seconds(1)).text) == 200
        })
        // More than the cap, however many an accept takes at once, holding the server's slots.
        var open: [RawConnection] = []
        for _ in 0..<6 { open.append(try await RawConnection.open(port: port)) }
        let extra = try await RawConnection.open(port: port)
        await extra.send(Self.health)
        let (early, _) = await extra.receive(for: .seconds(2))
        #expect(early.isEmpty, "a connection past the cap was served: \(early)")
        for connection in open { connection.close() }
        var answer = ""
        _ = try await eventually(timeout: .seconds(30)) {
            answer += await extra.receive(for: .milliseconds(200)).text
            return !answer.isEmpty
        }
        #expect(RawConnection.status(answer) == 200, "once the others closed, the waiting one was not served: \(answer)")
        extra.close()
    }

    /// The server ending the listener's session (as a restart does) sends it a FATAL while it
    /// waits for notifications: the daemon logs the loss in logfmt, and libpq prints nothing
    /// of its own on standard error.
    @Test func theListenersLostSessionLeavesNoBareLibpqLineInTheLogs() async throws {
        let world = try await AccessWorld.make()
        let port = Int.random(in: 20_000...45_000)
        let served = try ChitieuCommand.startDaemon(port: port, workers: 1, databaseURL: world.db.appConnectionString)
        defer { served.discard() }
        let daemon = served.process
        let output = served.output
        let su = try await world.db.superuserConnection()
        let listening: @Sendable () async throws -> Int = {
            try await su.query(
                "SELECT count(*)::int FROM pg_stat_activity WHERE datname = current_database() AND application_name LIKE '%-listener' AND state = 'idle'"
            )[0].decode(Int.self, at: 0)
        }
        // The cache's listener and the job worker's.
        #expect(try await eventually(timeout: .seconds(120)) { try await listening() >= 2 || !daemon.isRunning }, "\(output())")
        try await su.query(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND application_name LIKE '%-listener'")
        #expect(try await eventually {
            guard output().contains("The listener reconnected") else { return false }
            return try await listening() >= 2
        }, "\(output())")
        daemon.terminate()
        #expect(try await eventually(every: .milliseconds(50)) { !daemon.isRunning })
        if daemon.isRunning { kill(daemon.processIdentifier, SIGKILL); await daemon.exited() }
        let lines = output().split(separator: "\n")
        #expect(lines.count > 3)
        #expect(lines.allSatisfy { $0.hasPrefix("ts=") }, "lines outside logfmt: \(lines.filter { !$0.hasPrefix("ts=") })")
        await su.close()
        await world.shutdown()
    }

    /// With PostgreSQL frozen (SIGSTOP), requests and `/ready` answer 503 within the statement
    /// deadline instead of hanging for the whole stall, and the daemon serves again by itself
    /// once the server wakes.
    @Test func aFrozenDatabaseCostsARequestItsDeadlineNotTheStall() async throws {
        try await TestCluster.start().use { cluster in
            let world = try await AccessWorld.make(on: try await TestDatabase.make(on: cluster))
            // The pool waits a minute for a connection: an answer within the bound below comes from the deadline.
            let pool = patientPool(world)
            let app = try makeApplication(world, pool: pool, configuration: ServerConfiguration(statementDeadline: .seconds(2)))
            try await app.test(.ahc(.http)) { client in
                let api = APIClient(client: client)
                let token = try await api.login("tinh10")
                #expect(try await api.call(.get, "/v1/units", token: token).status == .ok)

                let processes = try serverProcesses(of: cluster)
                #expect(processes.count > 2)
                let thaw: @Sendable () -> Void = { for pid in processes { kill(pid, SIGCONT) } }
                defer { thaw() }
                for pid in processes { kill(pid, SIGSTOP) }
                // Without deadlines the requests would wait for this, 120 s after the freeze.
                let thawLater = Task {
                    try? await Task.sleep(for: .seconds(120))
                    thaw()
                }
                let start = ContinuousClock.now
                let answers = try await withThrowingTaskGroup(of: (String, APIResponse, Duration).self) { group in
                    for (uri, bearer) in [("/v1/units", token as String?), ("/v1/results", token), ("/ready", nil)] {
                        group.addTask {
                            let response = try await api.call(.get, uri, token: bearer)
                            return (uri, response, ContinuousClock.now - start)
                        }
                    }
                    return try await group.reduce(into: []) { $0.append($1) }
                }
                thaw()
                thawLater.cancel()
                for (uri, response, elapsed) in answers {
                    #expect(response.status == .serviceUnavailable, "\(uri): \(response.status) \(response.text)")
                    #expect((response.json["type"] as? String)?.hasSuffix("database-unavailable") == true, "\(uri): \(response.text)")
                    // A 2 s deadline (a new connection may first wait its 5 s connect timeout); the bound
                    // leaves room for a loaded machine (15–27 s seen with two builds beside the
                    // tests) and stays far below the stall.
                    #expect(elapsed < .seconds(45), "\(uri) took \(elapsed)")
                }
                #expect(try await eventually { try await api.call(.get, "/v1/units", token: token).status == .ok }, "the daemon did not recover")
                #expect(try await api.call(.get, "/ready").status == .ok)
            }
            await pool.shutdown()
            await world.shutdown()
        }
    }
}
