import ChitieuStore
import ChitieuTestSupport
import ChitieuTesting
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `chitieu serve` as operators run it beside `chitieu work`: the executable (without workers,
/// its tasks on NIO's event loops), a real port, a signal to stop.
@Suite("The daemon's process")
struct DaemonProcessTests {
    /// One HTTP/1.1 exchange over a plain socket (the request closes the connection): the status line and the body.
    static func exchange(port: Int, _ request: String) async throws -> (status: Int, body: String) {
        let text = try await RawConnection.exchange(port: port, request, waiting: .seconds(60))
        return (RawConnection.status(text), text.range(of: "\r\n\r\n").map { String(text[$0.upperBound...]) } ?? "")
    }

    static func get(port: Int, _ path: String, token: String? = nil) async throws -> (status: Int, body: String) {
        let authorization = token.map { "Authorization: Bearer \($0)\r\n" } ?? ""
        return try await exchange(port: port, "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n\(authorization)Connection: close\r\n\r\n")
    }

    @Test func theExecutableServesAndStopsCleanlyOnSIGTERM() async throws {
        let world = try await AccessWorld.make()
        let token = try await Authenticator(database: world.app, passwordParameters: testPasswordParameters).issue(
            province: world.a.id, username: "tinh10", name: nil, lifetimeSeconds: 3600, caller: .command("test"))
        let port = Int.random(in: 20_000...45_000)
        let served = try ChitieuCommand.startDaemon(port: port, workers: 0, databaseURL: world.db.appConnectionString)
        defer { served.discard() }
        let daemon = served.process

        var ready = false
        _ = try await eventually(timeout: .seconds(120), every: .milliseconds(100)) {
            if let answer = try? await Self.get(port: port, "/ready"), answer.status == 200 { ready = true }
            return ready || !daemon.isRunning
        }
        #expect(ready, "the daemon did not become ready: \(served.output())")
        if ready {
            let units = try await Self.get(port: port, "/v1/units/\(world.unitsA.district)", token: token.secret)
            #expect(units.status == 200, "\(units.body)")
            #expect(units.body.contains("\"code\""))
            // The same officer's token again, now kept in memory.
            #expect(try await Self.get(port: port, "/v1/indicators", token: token.secret).status == 200)
            #expect(try await Self.get(port: port, "/v1/units", token: "ct_1_" + String(repeating: "A", count: 43)).status == 401)
        }

        daemon.terminate()  // SIGTERM
        // It stops as soon as it has nothing in flight (well under a second); the bound leaves
        // room for a loaded machine's stalls.
        #expect(try await eventually(every: .milliseconds(50)) { !daemon.isRunning }, "the daemon did not stop within a minute of SIGTERM")
        if daemon.isRunning { kill(daemon.processIdentifier, SIGKILL); await daemon.exited() }
        let stopped = daemon.terminationStatus
        let output = served.output()
        #expect(stopped == 0, "\(output.suffix(2000))")
        #expect(output.contains("chitieu stopped."), "\(output.suffix(2000))")
        await world.shutdown()
    }
}
