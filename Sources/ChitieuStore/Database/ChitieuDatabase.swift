import Logging
public import Postgres

/// The database as chitieu uses it: a pool, and the one path to tenant data.
public struct ChitieuDatabase: Sendable {
    /// One row, column `citus`: whether the database is a Citus coordinator (the extension installed).
    static let isCitus: PostgresQuery = "SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus') AS citus"

    /// The connection pool.
    public let pool: PostgresPool

    /// Wraps a pool.
    public init(pool: PostgresPool) {
        self.pool = pool
    }

    /// Runs `body` in a transaction that serves one province: `app.province_id` is set for
    /// the transaction (SET LOCAL), so row-level security shows and accepts only that
    /// province's rows. Queries inside still name `province_id` explicitly.
    /// Serialization failures and deadlocks are retried. `isolation` is READ COMMITTED unless a
    /// caller needs one snapshot for the whole transaction (the allocation does).
    public func withTenant<T: Sendable>(
        _ provinceID: Int64, isolation: PostgresIsolation = .readCommitted, _ body: @Sendable (TenantTransaction) async throws -> T
    ) async throws -> T {
        try await withTenant(provinceID, isolation: isolation, opening: []) { tx, _ in try await body(tx) }
    }

    /// `withTenant` whose first statements (prepared) go out in the round trip that begins the
    /// transaction; `body` gets their rows. It may end the transaction with `TenantTransaction.commit(after:)`.
    public func withTenant<T: Sendable>(
        _ provinceID: Int64, isolation: PostgresIsolation = .readCommitted, opening: [PostgresQuery],
        _ body: @Sendable (TenantTransaction, [PostgresRows]) async throws -> T
    ) async throws -> T {
        // The province is set in the round trip that begins the transaction (an integer, written here).
        try await pool.withTransaction(
            isolation: isolation, retry: .serializationFailures, prelude: "SELECT chitieu.use_province(\(provinceID))", opening: opening.map { ($0, true) }
        ) { connection, opened in
            try await body(TenantTransaction(connection: connection, provinceID: provinceID), opened)
        }
    }

    /// One statement read as `withTenant` would, in a read-only transaction of the province,
    /// in a single round trip: `BEGIN`, the province, the statement (prepared) and `COMMIT`
    /// are sent together.
    public func read(_ provinceID: Int64, _ query: PostgresQuery) async throws -> PostgresRows {
        try await pool.withConnection { connection in
            try await connection.pipeline([
                ("BEGIN ISOLATION LEVEL READ COMMITTED READ ONLY", false),
                ("SELECT chitieu.use_province(\(provinceID))", true),
                (query, true),
                ("COMMIT", false),
            ])[2]
        }
    }

    /// Statements read as `read(_:_:)` reads one, together in the same single round trip; the
    /// rows of each.
    public func read(_ provinceID: Int64, _ queries: [PostgresQuery]) async throws -> [PostgresRows] {
        try await pool.withConnection { connection in
            let rows = try await connection.pipeline(
                [("BEGIN ISOLATION LEVEL READ COMMITTED READ ONLY", false), ("SELECT chitieu.use_province(\(provinceID))", true)]
                    + queries.map { ($0, true) } + [("COMMIT", false)])
            return Array(rows[2..<(2 + queries.count)])
        }
    }
}

/// A transaction serving one province (see `ChitieuDatabase.withTenant`).
public struct TenantTransaction: Sendable {
    /// The connection, inside the transaction.
    public let connection: PostgresConnection
    /// The province it serves.
    public let provinceID: Int64

    /// Runs a statement.
    @discardableResult
    public func query(_ query: PostgresQuery, prepared: Bool = false) async throws -> PostgresRows {
        try await connection.query(query, prepared: prepared)
    }

    /// Ends the transaction: `queries` (prepared), then COMMIT, in one round trip; their rows.
    public func commit(after queries: [PostgresQuery]) async throws -> [PostgresRows] {
        try await connection.commit(after: queries.map { ($0, true) })
    }
}
