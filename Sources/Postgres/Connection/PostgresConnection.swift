import CLibPQ
import Dispatch
import Foundation
import Synchronization
public import Logging

/// One libpq connection.
///
/// libpq calls block, so every call runs on this connection's own serial dispatch queue —
/// never on Swift's cooperative thread pool — and the awaiting task is resumed when it ends.
/// A connection serves one task at a time; the pool hands it out and takes it back.
public final class PostgresConnection: @unchecked Sendable {
    // @unchecked: `handle` and `statements` are read and written only on `queue`
    // (a serial queue), so no two threads ever touch them at once.
    private var handle: OpaquePointer?
    // The cancel object is also read off the queue by `requestCancel`; it is freed only in
    // deinit, when no task can be cancelling any more.
    private let cancelPointer: OpaquePointer?
    /// Numbers the operations run on `queue`; the one running now, for `requestCancel`.
    private let operations = AtomicCounter()
    private let runningOperation = Mutex<Int?>(nil)
    /// The operation whose socket was shut down because it outlived its deadline.
    private let abandonedOperation = Mutex<Int?>(nil)
    /// The connection's socket, for shutting it down under a statement past its deadline. It
    /// stays open until PQfinish, which runs on `queue`, never while an operation runs.
    private let socketDescriptor: Int32
    private var statements: [String: String] = [:]
    /// Names given to prepared statements so far (names are never reused).
    private var statementsNamed = 0
    private let queue: DispatchQueue
    /// Set when the open transaction's COMMIT went out with its last statements
    /// (`commit(after:)`), so that `withTransaction` does not send its own.
    let committedInPipeline = Mutex(false)
    /// A number for logs, unique in the process.
    public let id: Int
    let logger: Logger

    private static let counter = AtomicCounter()

    private init(handle: OpaquePointer, id: Int, queue: DispatchQueue, logger: Logger) {
        self.handle = handle
        self.cancelPointer = PQgetCancel(handle)
        self.socketDescriptor = PQsocket(handle)
        self.id = id
        self.queue = queue
        self.logger = logger
    }

    deinit {
        if let cancelPointer { PQfreeCancel(cancelPointer) }
        if let handle { PQfinish(handle) }
    }

    /// Opens a connection. Sessions use UTF-8, ISO dates and UTC, whatever the server's defaults.
    public static func connect(_ configuration: PostgresConfiguration, logger: Logger) async throws -> PostgresConnection {
        let configuration = withinDeadline(configuration)
        let id = counter.next()
        let queue = DispatchQueue(label: "chitieu.postgres.connection.\(id)")
        let handle: OpaquePointer = try await withCheckedThrowingContinuation { continuation in
            queue.async {
                continuation.resume(with: Result { try openHandle(configuration) })
            }
        }
        let connection = PostgresConnection(handle: handle, id: id, queue: queue, logger: logger)
        var settings = "SET datestyle = 'ISO, YMD'; SET timezone = 'UTC'; SET extra_float_digits = 3"
        if let timeout = configuration.statementTimeout {
            // The server ends a statement past the limit, and notices within seconds a client that
            // went away (a statement abandoned at its deadline), so neither holds locks for long.
            settings += "; SET statement_timeout = \(max(1, timeout.milliseconds)); SET client_connection_check_interval = 5000"
        }
        try await connection.executeScript(settings)
        return connection
    }

    /// The parameters of every connection, for `PQconnectdbParams` with dbname expanded. TCP
    /// keepalives come first: over TCP, a server gone without closing its sockets (a cut network,
    /// a dead host) then fails a statement waiting for its result, or a listener waiting for
    /// notifications, within about 25 s instead of never (libpq ignores them on Unix sockets).
    /// dbname, the connection string or URL, may set its own; the keys after it are chitieu's.
    static func parameters(_ configuration: PostgresConfiguration, applicationName: String) -> (keys: [String], values: [String]) {
        (
            ["keepalives", "keepalives_idle", "keepalives_interval", "keepalives_count",
             "dbname", "client_encoding", "fallback_application_name", "connect_timeout"],
            ["1", "10", "5", "3",
             configuration.connectionString, "UTF8", applicationName, String(configuration.connectTimeoutSeconds)]
        )
    }

    private static func openHandle(_ configuration: PostgresConfiguration) throws -> OpaquePointer {
        let (keys, values) = parameters(configuration, applicationName: configuration.applicationName)
        let connectionHandle: OpaquePointer? = withCStrings(keys) { keyPointers in
            withCStrings(values) { valuePointers in
                PQconnectdbParams(keyPointers, valuePointers, 1)
            }
        }
        guard let connectionHandle else {
            throw PostgresError(code: .connectionFailed, message: "could not allocate a libpq connection")
        }
        silenceNotices(connectionHandle)
        if PQstatus(connectionHandle) != CONNECTION_OK {
            let message = String(cString: PQerrorMessage(connectionHandle)).trimmingCharacters(in: .whitespacesAndNewlines)
            PQfinish(connectionHandle)
            throw PostgresError(
                code: .connectionFailed,
                message: "could not connect to the database (\(configuration.redactedConnectionString.isEmpty ? "libpq defaults" : configuration.redactedConnectionString)): \(message)")
        }
        return connectionHandle
    }

    /// Server notices (e.g. "table does not exist, skipping") and the errors a server sends to an
    /// idle session (the FATAL of a shutdown) are not printed on stderr: what matters of them
    /// reaches the caller as an error, and the logs stay logfmt.
    static func silenceNotices(_ handle: OpaquePointer) {
        PQsetNoticeProcessor(handle, { _, _ in }, nil)
    }

    /// Runs blocking work on this connection's queue, with cancellation forwarded to the server.
    /// Within `statementDeadline`, when the task has one: past it, the connection's socket is
    /// shut down, the work fails with `connectionClosed`, and the pool discards the connection
    /// (a server that stopped answering cannot be asked to cancel).
    func withHandle<T: Sendable>(_ work: @escaping @Sendable (OpaquePointer) throws -> T) async throws -> T {
        let operation = operations.next()
        let deadline = Self.statementDeadline
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                queue.async {
                    guard let handle = self.handle else {
                        continuation.resume(throwing: PostgresError(code: .connectionClosed, message: "the connection is closed"))
                        return
                    }
                    self.runningOperation.withLock { $0 = operation }
                    let watchdog = deadline.map { self.abandon(operation, after: $0) }
                    var result = Result<T, any Error> { try work(handle) }
                    watchdog?.cancel()
                    self.runningOperation.withLock { $0 = nil }
                    if let deadline, self.abandonedOperation.withLock({ $0 == operation }) {
                        result = .failure(PostgresError(
                            code: .connectionClosed, message: "the database did not answer within \(deadline); the connection was closed"))
                    }
                    continuation.resume(with: result)
                }
            }
        } onCancel: {
            self.requestCancel(operation)
        }
    }

    /// The queue of deadline watchdogs: a queue of their own, so that they fire on time even
    /// while the global queues' few threads wait in blocking calls (a PQcancel to a frozen server).
    private static let watchdogs = DispatchQueue(label: "chitieu.postgres.deadlines")

    /// Shuts the socket down under operation `operation` if it still runs after `deadline`, which
    /// wakes the blocked libpq call with an error.
    private func abandon(_ operation: Int, after deadline: Duration) -> DispatchWorkItem {
        let watchdog = DispatchWorkItem { [self] in
            // Under the lock the operation cannot end, so the socket is still this connection's.
            // A cancel request holds the lock while it waits for the server: look again shortly.
            let looked: Void? = runningOperation.withLockIfAvailable { running in
                guard running == operation else { return }
                abandonedOperation.withLock { $0 = operation }
                shutdown(socketDescriptor, Int32(SHUT_RDWR))
            }
            if looked == nil { _ = abandon(operation, after: .milliseconds(50)) }
        }
        let (seconds, attoseconds) = deadline.components
        Self.watchdogs.asyncAfter(
            deadline: .now() + .nanoseconds(Int(seconds) * 1_000_000_000 + Int(attoseconds / 1_000_000_000)), execute: watchdog)
        return watchdog
    }

    /// Asks the server to cancel operation `operation` if it is running (PQcancel is thread-safe).
    /// It does not go through the queue, which is busy with the statement to cancel.
    func requestCancel(_ operation: Int) {
        // Only a running one: what an already cancelled task runs later (a ROLLBACK, a clean-up)
        // is left to run, as when the request was sent at once to an idle session.
        guard cancelPointer != nil, runningOperation.withLock({ $0 == operation }) else { return }
        // PQcancel blocks until the server has the request: not on the cancelling thread, which
        // may be one of the cooperative pool's few. The closure holds `self`, so deinit cannot
        // free the cancel object while it is in use.
        DispatchQueue.global().async {
            // A late request must not cancel a later statement once the connection is lent again:
            // the operation cannot end (nor the next begin) while the request is on its way, and
            // once it is delivered, the server ignores it in a session waiting for its next statement.
            self.runningOperation.withLock { running in
                guard running == operation, let cancel = self.cancelPointer else { return }
                var buffer = [CChar](repeating: 0, count: 256)
                _ = PQcancel(cancel, &buffer, Int32(buffer.count))
            }
        }
    }

    /// Runs a statement with parameters and returns its rows.
    /// With `prepared`, the statement is prepared once per connection and reused.
    @discardableResult
    public func query(_ query: PostgresQuery, prepared: Bool = false) async throws -> PostgresRows {
        PostgresRoundTrips.record()
        return try await withHandle { handle in
            try self.run(handle, query, prepared: prepared)
        }
    }

    /// `configuration` for a connection opened for work with a statement deadline: it waits no
    /// longer than the deadline for the server (libpq counts whole seconds, at least 2), so a
    /// frozen server costs the deadline, not the whole connect timeout on top of it.
    static func withinDeadline(_ configuration: PostgresConfiguration) -> PostgresConfiguration {
        guard let deadline = statementDeadline else { return configuration }
        var configuration = configuration
        let (seconds, attoseconds) = deadline.components
        configuration.connectTimeoutSeconds = min(configuration.connectTimeoutSeconds, max(2, Int(seconds) + (attoseconds > 0 ? 1 : 0)))
        return configuration
    }

    /// The SCRAM-SHA-256 verifier of a password for a role, computed here (PQencryptPasswordConn),
    /// so `CREATE ROLE … PASSWORD` never carries the clear text to the server or its logs.
    public func encryptPassword(_ password: String, role: String) async throws -> String {
        try await withHandle { handle in
            guard let encrypted = PQencryptPasswordConn(handle, password, role, "scram-sha-256") else {
                let message = String(cString: PQerrorMessage(handle)).trimmingCharacters(in: .whitespacesAndNewlines)
                throw PostgresError(code: .server, message: "could not encrypt the password: \(message)")
            }
            defer { PQfreemem(encrypted) }
            return String(cString: encrypted)
        }
    }

    /// Runs statements in one round trip (libpq's pipeline mode) and returns their rows, in
    /// order. They run one after the other as usual, but are sent together and answered
    /// together: for statements that do not need each other's answers, such as a transaction's
    /// `BEGIN`, its settings, one statement and `COMMIT`. When one fails, the ones after it do
    /// not run, and its error is thrown; an open transaction is left to the pool to roll back.
    public func pipeline(_ queries: [(query: PostgresQuery, prepared: Bool)]) async throws -> [PostgresRows] {
        PostgresRoundTrips.record()
        return try await withHandle { handle in try self.runPipeline(handle, queries) }
    }

    private func runPipeline(_ handle: OpaquePointer, _ queries: [(query: PostgresQuery, prepared: Bool)]) throws -> [PostgresRows] {
        for (query, _) in queries { try Self.refuseNUL(query.bindings) }
        guard PQenterPipelineMode(handle) == 1 else { throw Self.makeError(nil, handle, sql: nil) }
        defer { PQexitPipelineMode(handle) }
        // What each sent command answers: a statement to prepare, or one of `queries`.
        enum Sent { case prepare(sql: String, name: String), query(Int) }
        var sent: [Sent] = []
        for (index, (query, prepared)) in queries.enumerated() {
            let bindings = query.bindings
            let types = bindings.types.map(\.oid)
            let ok: Int32 = withOptionalCStrings(bindings.values) { values in
                types.withUnsafeBufferPointer { typePointer -> Int32 in
                    guard prepared else {
                        return PQsendQueryParams(handle, query.sql, Int32(types.count), typePointer.baseAddress, values, nil, nil, 0)
                    }
                    let name: String
                    if let known = statements[query.sql] {
                        name = known
                    } else if case .prepare(_, let pending)? = sent.first(where: { if case .prepare(query.sql, _) = $0 { true } else { false } }) {
                        name = pending
                    } else {
                        name = nextStatementName()
                        guard PQsendPrepare(handle, name, query.sql, Int32(types.count), typePointer.baseAddress) == 1 else { return 0 }
                        sent.append(.prepare(sql: query.sql, name: name))
                    }
                    return PQsendQueryPrepared(handle, name, Int32(types.count), values, nil, nil, 0)
                }
            }
            guard ok == 1 else { throw Self.makeError(nil, handle, sql: query.sql) }
            sent.append(.query(index))
        }
        guard PQpipelineSync(handle) == 1 else { throw Self.makeError(nil, handle, sql: nil) }
        var rows: [PostgresRows?] = Array(repeating: nil, count: queries.count)
        var failure: PostgresError?
        for command in sent {
            // A command's result, then NULL.
            let result = PQgetResult(handle)
            if result != nil {
                while let extra = PQgetResult(handle) { PQclear(extra) }
            }
            switch command {
            case .prepare(let sql, let name):
                let status = result.map { PQresultStatus($0) } ?? PGRES_FATAL_ERROR
                if status == PGRES_COMMAND_OK {
                    statements[sql] = name
                } else if failure == nil, status != PGRES_PIPELINE_ABORTED {
                    failure = Self.makeError(result, handle, sql: sql)
                }
                PQclear(result)
            case .query(let index):
                if failure != nil || result.map({ PQresultStatus($0) }) == PGRES_PIPELINE_ABORTED {
                    PQclear(result)
                    continue
                }
                do {
                    try Self.check(result, handle, sql: queries[index].query.sql)
                    rows[index] = PostgresRows(result: result)
                } catch {
                    failure = error as? PostgresError ?? Self.makeError(result, handle, sql: queries[index].query.sql)
                    PQclear(result)
                }
            }
        }
        // The end of the pipeline.
        let sync = PQgetResult(handle)
        PQclear(sync)
        if let failure { throw failure }
        return rows.map { $0 ?? PostgresRows(result: nil) }
    }

    /// Runs a statement and returns the number of rows it affected.
    @discardableResult
    public func execute(_ query: PostgresQuery, prepared: Bool = false) async throws -> Int {
        try await self.query(query, prepared: prepared).affectedRows
    }

    /// Runs trusted SQL text that may hold several statements (migrations, scripts) with the
    /// simple protocol. It takes no parameters: never build it from input.
    public func executeScript(_ sql: String) async throws {
        PostgresRoundTrips.record()
        try await withHandle { handle in
            let result = PQexec(handle, sql)
            defer { PQclear(result) }
            try Self.check(result, handle, sql: sql)
        }
    }

    /// One statement: a pipeline of one, so that preparing a new statement and running it take
    /// one round trip, as in a longer pipeline, and statements are prepared in one place.
    private func run(_ handle: OpaquePointer, _ query: PostgresQuery, prepared: Bool) throws -> PostgresRows {
        try runPipeline(handle, [(query, prepared)])[0]
    }

    /// libpq takes C strings: a NUL would silently cut a value short. Refuse it instead, as
    /// PostgreSQL refuses NUL in text (SQLSTATE 22021).
    static func refuseNUL(_ bindings: PostgresBindings) throws {
        if let index = bindings.values.firstIndex(where: { $0?.utf8.contains(0) == true }) {
            throw PostgresError(
                code: .server, message: "parameter $\(index + 1) contains a NUL character, which text cannot hold", sqlState: "22021")
        }
    }

    /// A name for a new prepared statement, never used before on this connection.
    private func nextStatementName() -> String {
        statementsNamed += 1
        return "s\(statementsNamed)"
    }

    /// Throws the error a result carries, if any.
    static func check(_ result: OpaquePointer?, _ handle: OpaquePointer, sql: String?) throws {
        let status = result.map { PQresultStatus($0) } ?? PGRES_FATAL_ERROR
        switch status {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY, PGRES_COPY_IN, PGRES_COPY_OUT:
            return
        default:
            throw makeError(result, handle, sql: sql)
        }
    }

    static func makeError(_ result: OpaquePointer?, _ handle: OpaquePointer, sql: String?) -> PostgresError {
        func field(_ code: Character) -> String? {
            guard let result, let value = PQresultErrorField(result, Int32(code.asciiValue!)) else { return nil }
            return String(cString: value)
        }
        if let sqlState = field("C") {
            return PostgresError(
                code: .server, message: field("M") ?? "server error", sqlState: sqlState, detail: field("D"),
                hint: field("H"), constraint: field("n"), schema: field("s"), table: field("t"), column: field("c"),
                query: sql)
        }
        let message = String(cString: PQerrorMessage(handle)).trimmingCharacters(in: .whitespacesAndNewlines)
        if PQstatus(handle) != CONNECTION_OK {
            return PostgresError(
                code: .connectionClosed,
                message: "the database connection was lost: \(message.isEmpty ? "server closed the connection" : message)",
                query: sql)
        }
        return PostgresError(code: .unexpectedResult, message: message.isEmpty ? "query failed" : message, query: sql)
    }

    /// The server's transaction state for this connection.
    public enum TransactionState: Sendable {
        case idle, active, inTransaction, failedTransaction, unknown
    }

    /// Whether the connection can be handed out again: open, idle, and with no pending
    /// input that says the server went away (checked without blocking).
    /// Checked on the caller's thread, by the pool, on a connection no task is using (between
    /// operations nothing touches the handle, and every call here is non-blocking).
    func checkHealthNow() -> TransactionState? {
        guard let handle else { return nil }
        return Self.health(of: handle)
    }

    private static func health(of handle: OpaquePointer) -> TransactionState? {
        guard PQstatus(handle) == CONNECTION_OK else { return nil }
        var descriptor = pollfd(fd: PQsocket(handle), events: Int16(POLLIN), revents: 0)
        if poll(&descriptor, 1, 0) > 0 {
            // An idle session only receives notifications; anything else (the FATAL a
            // server sends when it shuts down, or end-of-file) means it is going away.
            if PQconsumeInput(handle) == 0 || PQstatus(handle) != CONNECTION_OK { return nil }
            var notified = false
            while let notice = PQnotifies(handle) {
                notified = true
                PQfreemem(notice)
            }
            if !notified { return nil }
        }
        switch PQtransactionStatus(handle) {
        case PQTRANS_IDLE: return .idle
        case PQTRANS_ACTIVE: return .active
        case PQTRANS_INTRANS: return .inTransaction
        case PQTRANS_INERROR: return .failedTransaction
        default: return nil
        }
    }

    /// The server's process id for this session.
    public func backendPID() async throws -> Int32 {
        try await withHandle { PQbackendPID($0) }
    }

    /// Closes the connection; later calls fail with `connectionClosed`.
    public func close() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            queue.async {
                if let handle = self.handle { PQfinish(handle) }
                self.handle = nil
                continuation.resume()
            }
        }
    }
}

/// A thread-safe increasing counter.
final class AtomicCounter: Sendable {
    private let value = Mutex(0)
    func next() -> Int { value.withLock { $0 += 1; return $0 } }
}

/// Passes an array of Swift strings to C as `const char * const *`.
func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> R) -> R {
    withOptionalCStrings(strings.map { Optional($0) }, body)
}

/// Passes an array of optional Swift strings to C; nil becomes a null pointer (SQL NULL).
/// The array is followed by a terminating null pointer.
func withOptionalCStrings<R>(_ strings: [String?], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> R) -> R {
    var owned: [UnsafeMutablePointer<CChar>?] = strings.map { $0.map { strdup($0)! } }
    owned.append(nil)  // NULL-terminated (PQconnectdbParams needs it), and never an empty buffer
    defer { for pointer in owned { free(pointer) } }
    return owned.withUnsafeMutableBufferPointer { buffer in
        buffer.baseAddress!.withMemoryRebound(to: UnsafePointer<CChar>?.self, capacity: max(buffer.count, 1)) {
            body($0)
        }
    }
}
