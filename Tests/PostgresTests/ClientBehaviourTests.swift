import ChitieuTesting
import Foundation
import Postgres
import Synchronization
import Testing

@Suite("The PostgreSQL client")
struct ClientBehaviourTests {
    @Test func uniqueViolationCarriesSQLStateAndConstraint() async throws {
        let db = try await TestDatabase.make(migrated: false)
        let pool = db.ownerPool()
        try await pool.query("CREATE TABLE club (id bigint PRIMARY KEY, name text CONSTRAINT club_name_key UNIQUE)")
        try await pool.query("INSERT INTO club VALUES (1, \("Câu lạc bộ Thủ lĩnh"))")
        let error = await #expect(throws: PostgresError.self) {
            try await pool.query("INSERT INTO club VALUES (2, \("Câu lạc bộ Thủ lĩnh"))")
        }
        #expect(error?.sqlState == "23505")
        #expect(error?.isUniqueViolation == true)
        #expect(error?.constraint == "club_name_key")
        #expect(error?.table == "club")
        #expect(error?.detail?.contains("Câu lạc bộ Thủ lĩnh") == true)
        await pool.shutdown()
    }

    @Test func aPipelineRunsItsStatementsInOrderAndStopsAtTheFirstError() async throws {
        let db = try await TestDatabase.make(migrated: false)
        let pool = db.ownerPool(maxConnections: 1)
        try await pool.query("CREATE TABLE club (id bigint PRIMARY KEY, name text NOT NULL)")
        let insert: PostgresQuery = "INSERT INTO club VALUES (\(Int64(1)), \("Câu lạc bộ Thủ lĩnh của sự thay đổi")) RETURNING name"
        let rows = try await pool.withConnection { c in
            try await c.pipeline([
                ("BEGIN", false), (insert, true), ("SELECT count(*) AS n FROM club WHERE id = \(Int64(1))", true), ("COMMIT", false),
            ])
        }
        #expect(rows.count == 4)
        #expect(try rows[1][0].decode(String.self, at: 0) == "Câu lạc bộ Thủ lĩnh của sự thay đổi")
        #expect(try rows[2][0].decode(Int.self, "n") == 1)

        // The second insert breaks the key: the statements after it do not run, the error is the
        // server's, and the transaction it opened is rolled back when the connection goes back.
        let error = await #expect(throws: PostgresError.self) {
            try await pool.withConnection { c in
                try await c.pipeline([
                    ("BEGIN", false), ("INSERT INTO club VALUES (\(Int64(2)), 'hai')", true), (insert, true),
                    ("INSERT INTO club VALUES (\(Int64(3)), 'ba')", true), ("COMMIT", false),
                ])
            }
        }
        #expect(error?.sqlState == "23505")
        #expect(try await pool.query("SELECT count(*) FROM club")[0].decode(Int.self, at: 0) == 1)
        // A statement that cannot be prepared fails the same way, and the connection serves on.
        await #expect(throws: PostgresError.self) {
            try await pool.withConnection { c in try await c.pipeline([("SELEC 1", true), ("SELECT 2", true)]) }
        }
        // The insert prepared in the first pipeline is used again, with other values.
        let again: PostgresQuery = "INSERT INTO club VALUES (\(Int64(4)), \("Tổ truyền thông cộng đồng")) RETURNING name"
        let inserted = try await pool.withConnection { c in try await c.pipeline([(again, true)]) }
        #expect(try inserted[0][0].decode(String.self, at: 0) == "Tổ truyền thông cộng đồng")
        #expect(try await pool.query("SELECT count(*) FROM club")[0].decode(Int.self, at: 0) == 2)
        await pool.shutdown()
    }

    @Test func failedTransactionLeavesNothingBehind() async throws {
        let db = try await TestDatabase.make(migrated: false)
        let pool = db.ownerPool(maxConnections: 1)
        try await pool.query("CREATE TABLE team (id bigint PRIMARY KEY)")
        struct Boom: Error {}
        await #expect(throws: Boom.self) {
            try await pool.withTransaction { tx in
                try await tx.query("INSERT INTO team VALUES (1), (2)")
                throw Boom()
            }
        }
        await #expect(throws: PostgresError.self) {
            try await pool.withTransaction { tx in
                try await tx.query("INSERT INTO team VALUES (3)")
                try await tx.query("INSERT INTO team VALUES (3)")
            }
        }
        let count = try await pool.query("SELECT count(*) AS n FROM team")[0].decode(Int.self, "n")
        #expect(count == 0)
        // The one connection went back to the pool usable and outside any transaction:
        // what it writes now is committed at once, visible to another session.
        try await pool.query("INSERT INTO team VALUES (4)")
        let other = try await PostgresConnection.connect(PostgresConfiguration(connectionString: db.ownerConnectionString), logger: TestDatabase.logger)
        #expect(try await other.query("SELECT count(*) AS n FROM team")[0].decode(Int.self, "n") == 1)
        await other.close()
        await pool.shutdown()
    }

    @Test func serializationFailuresAreRetriedWhenAsked() async throws {
        let db = try await TestDatabase.make(migrated: false)
        let pool = db.ownerPool()
        let attempts = Mutex(0)
        let value = try await pool.withTransaction(isolation: .serializable, retry: .serializationFailures) { tx in
            let n = attempts.withLock { $0 += 1; return $0 }
            if n < 3 {
                try await tx.query("DO $$ BEGIN RAISE EXCEPTION 'conflict' USING ERRCODE = '40001'; END $$")
            }
            return n
        }
        #expect(value == 3)
        attempts.withLock { $0 = 0 }
        await #expect(throws: PostgresError.self) {
            try await pool.withTransaction(retry: .none) { tx in
                attempts.withLock { $0 += 1 }
                try await tx.query("DO $$ BEGIN RAISE EXCEPTION 'conflict' USING ERRCODE = '40P01'; END $$")
            }
        }
        #expect(attempts.withLock { $0 } == 1)
        await pool.shutdown()
    }

    @Test func copyLoads100000Rows() async throws {
        let db = try await TestDatabase.make(migrated: false)
        let pool = db.ownerPool()
        try await pool.query("CREATE TABLE member (id bigint, name text, note text)")
        let loaded = try await pool.withConnection { connection in
            try await connection.copyFrom("COPY member (id, name, note) FROM STDIN") { writer in
                for i in 1...100_000 {
                    try writer.appendRow([String(i), "Thành viên \(i)", i % 10 == 0 ? nil : "tab\there\nnewline\\"])
                }
            }
        }
        #expect(loaded == 100_000)
        let rows = try await pool.query("SELECT count(*) AS n, count(note) AS notes, max(note) AS note FROM member")
        #expect(try rows[0].decode(Int.self, "n") == 100_000)
        #expect(try rows[0].decode(Int.self, "notes") == 90_000)
        #expect(try rows[0].decode(String.self, "note") == "tab\there\nnewline\\")
        await pool.shutdown()
    }

    @Test func copyThatFailsLoadsNothing() async throws {
        let db = try await TestDatabase.make(migrated: false)
        let pool = db.ownerPool()
        try await pool.query("CREATE TABLE member (id bigint)")
        await #expect(throws: PostgresError.self) {
            try await pool.withConnection { connection in
                try await connection.copyFrom("COPY member (id) FROM STDIN") { writer in
                    try writer.appendRow(["1"])
                    try writer.appendRow(["not a number"])
                }
            }
        }
        #expect(try await pool.query("SELECT count(*) AS n FROM member")[0].decode(Int.self, "n") == 0)
        await pool.shutdown()
    }

    @Test func notifyReachesListener() async throws {
        let db = try await TestDatabase.make(migrated: false)
        let listener = try await PostgresListener.start(
            configuration: PostgresConfiguration(connectionString: db.ownerConnectionString), channels: ["chitieu_jobs"],
            logger: TestDatabase.logger)
        let pool = db.ownerPool()
        try await pool.withConnection { try await $0.notify(channel: "chitieu_jobs", payload: "progress:10:2021-2025") }
        var iterator = listener.notifications.makeAsyncIterator()
        let received = await iterator.next()
        #expect(received?.channel == "chitieu_jobs")
        #expect(received?.payload == "progress:10:2021-2025")
        listener.stop()
        await pool.shutdown()
    }

    @Test func poolWaitsThenTimesOutWhenExhausted() async throws {
        let db = try await TestDatabase.make(migrated: false)
        let pool = TestDatabase.pool(db.ownerConnectionString, maxConnections: 1, acquireTimeout: .milliseconds(200))
        let held = try await pool.acquire()
        let error = await #expect(throws: PostgresError.self) { try await pool.query("SELECT 1") }
        #expect(error?.code == .poolTimeout)
        await pool.release(held)
        await pool.shutdown()
        // A waiter is served as soon as a connection comes back (with a timeout a loaded
        // machine cannot run out, so only the waiting is tested here).
        let patient = TestDatabase.pool(db.ownerConnectionString, maxConnections: 1, acquireTimeout: .seconds(30))
        let taken = try await patient.acquire()
        async let waited = patient.query("SELECT 2 AS v")
        try await Task.sleep(for: .milliseconds(50))
        await patient.release(taken)
        #expect(try await waited[0].decode(Int.self, "v") == 2)
        #expect(patient.statistics.open == 1)
        await patient.shutdown()
    }

    @Test func badConnectionStringFailsClearly() async throws {
        let pool = TestDatabase.pool("host=/nonexistent-socket-dir dbname=x user=y password=secret")
        let error = await #expect(throws: PostgresError.self) { try await pool.query("SELECT 1") }
        #expect(error?.code == .connectionFailed)
        #expect(error?.message.contains("secret") == false)
        #expect(pool.statistics.open == 0)
    }
}

@Suite("The pool across server restarts")
struct PoolRestartTests {
    @Test func poolReconnectsAfterRestartWithoutRestartingTheProcess() async throws {
        try await TestCluster.start().use { cluster in
            let pool = TestDatabase.pool(cluster.connectionString(database: "postgres", user: "postgres"), maxConnections: 2)
            let pidBefore = try await pool.query("SELECT pg_backend_pid() AS pid")[0].decode(Int.self, "pid")

            try await cluster.restart()
            let pidAfter = try await pool.query("SELECT pg_backend_pid() AS pid")[0].decode(Int.self, "pid")
            #expect(pidAfter != pidBefore)

            // While the server is down a request fails with a clear error; the next one after it is back succeeds.
            try await cluster.stop()
            let error = await #expect(throws: PostgresError.self) { try await pool.query("SELECT 1") }
            #expect(error?.isConnectionProblem == true)
            try await cluster.startAgain()
            #expect(try await pool.query("SELECT 1 AS one")[0].decode(Int.self, "one") == 1)
            await pool.shutdown()
        }
    }

    @Test(.timeLimit(.minutes(2))) func listenerListensAgainAfterRestart() async throws {
        try await TestCluster.start().use { cluster in
            let configuration = PostgresConfiguration(connectionString: cluster.connectionString(database: "postgres", user: "postgres"))
            let listener = try await PostgresListener.start(configuration: configuration, channels: ["chitieu_jobs"], logger: TestDatabase.logger)
            defer { listener.stop() }
            let pool = PostgresPool(configuration: configuration, logger: TestDatabase.logger)
            try await cluster.restart()
            // Notifications sent before the listener is back are lost (that is NOTIFY's contract);
            // keep sending until one arrives (or the test's time limit ends it).
            var iterator = listener.notifications.makeAsyncIterator()
            let sender = Task {
                for i in 0... {
                    if Task.isCancelled { break }
                    try? await pool.withConnection { try await $0.notify(channel: "chitieu_jobs", payload: "after-restart-\(i)") }
                    try? await Task.sleep(for: .milliseconds(100))
                }
            }
            let received = await iterator.next()
            sender.cancel()
            #expect(received?.payload.hasPrefix("after-restart-") == true)
            await pool.shutdown()
        }
    }
}
