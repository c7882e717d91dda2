import ChitieuTesting
import Foundation
import Postgres
import Testing

@Suite("Statement deadlines and timeouts")
struct StatementDeadlineTests {
    /// Past the task's deadline the connection is closed under the statement, which fails with
    /// `connectionClosed` at once, and the pool opens a fresh connection for the next one; without
    /// a deadline the same statement runs to its end.
    @Test func aStatementPastItsDeadlineFailsAndItsConnectionIsReplaced() async throws {
        let db = try await TestDatabase.make(migrated: false)
        let pool = db.ownerPool(maxConnections: 1)
        let before = try await pool.query("SELECT pg_backend_pid()")[0].decode(Int32.self, at: 0)
        let start = ContinuousClock.now
        let error = await #expect(throws: PostgresError.self) {
            try await PostgresConnection.$statementDeadline.withValue(.milliseconds(300)) {
                try await pool.query("SELECT pg_sleep(30)")
            }
        }
        // Not the 30 s of the statement; the bound leaves room for a loaded machine.
        #expect(ContinuousClock.now - start < .seconds(15))
        #expect(error?.code == .connectionClosed && error?.isConnectionProblem == true, "\(String(describing: error))")
        #expect(error?.message.contains("did not answer within") == true)
        let after = try await pool.query("SELECT pg_backend_pid()")[0].decode(Int32.self, at: 0)
        #expect(after != before)
        #expect(try await PostgresConnection.$statementDeadline.withValue(.seconds(30)) {
            try await pool.query("SELECT pg_sleep(0.2), 1 AS done")[0].decode(Int.self, "done")
        } == 1)
        await pool.shutdown()
    }

    /// `statementTimeout` is the server's `statement_timeout` on every connection of the pool.
    @Test func aConfiguredStatementTimeoutIsTheServersOnEveryConnection() async throws {
        let db = try await TestDatabase.make(migrated: false)
        let pool = TestDatabase.pool(db.ownerConnectionString, maxConnections: 2, statementTimeout: .milliseconds(1500))
        #expect(try await pool.query("SHOW statement_timeout")[0].decode(String.self, at: 0) == "1500ms")
        let error = await #expect(throws: PostgresError.self) { try await pool.query("SELECT pg_sleep(30)") }
        #expect(error?.sqlState == SQLState.queryCanceled)
        await pool.shutdown()
        let plain = db.ownerPool()
        #expect(try await plain.query("SHOW statement_timeout")[0].decode(String.self, at: 0) == "0")
        await plain.shutdown()
    }
}
