/// An error from the PostgreSQL client: a failed connection, a server error with its
/// SQLSTATE and fields, a pool that ran out of time, or a COPY that went wrong.
///
/// Server errors keep every field PostgreSQL sends, so callers can map them by SQLSTATE
/// (`23505` unique violation, `23503` foreign key, `40001`/`40P01` retry) and never by
/// matching message text.
public struct PostgresError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure this is.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Sendable {
            case connectionFailed
            case connectionClosed
            case server
            case poolTimeout
            case poolClosed
            case copyFailed
            case unexpectedResult
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The database could not be reached (refused, unknown host, authentication failed).
        public static let connectionFailed = Code(.connectionFailed)
        /// An established connection broke (server restarted, network cut).
        public static let connectionClosed = Code(.connectionClosed)
        /// The server answered with an error; `sqlState` says which.
        public static let server = Code(.server)
        /// No connection became free in the pool within its acquire timeout.
        public static let poolTimeout = Code(.poolTimeout)
        /// The pool was shut down.
        public static let poolClosed = Code(.poolClosed)
        /// A COPY FROM STDIN could not send its data.
        public static let copyFailed = Code(.copyFailed)
        /// The server answered in a way the client did not expect (for example rows where none were asked for).
        public static let unexpectedResult = Code(.unexpectedResult)

        public var description: String { base.rawValue }
    }

    /// The kind of failure.
    public var code: Code
    /// Five-character SQLSTATE for server errors (e.g. `23505`).
    public var sqlState: String?
    /// The primary, human-readable message.
    public var message: String
    /// Optional secondary message with more detail about the problem.
    public var detail: String?
    /// Optional suggestion of what to do about it.
    public var hint: String?
    /// Name of the constraint that was violated, if any.
    public var constraint: String?
    /// Schema of the object involved, if any.
    public var schema: String?
    /// Table involved, if any.
    public var table: String?
    /// Column involved, if any.
    public var column: String?
    /// The SQL text (never the parameter values) that failed, if known.
    public var query: String?

    /// Creates an error; server fields default to nil.
    public init(
        code: Code, message: String, sqlState: String? = nil, detail: String? = nil, hint: String? = nil,
        constraint: String? = nil, schema: String? = nil, table: String? = nil, column: String? = nil,
        query: String? = nil
    ) {
        self.code = code
        self.message = message
        self.sqlState = sqlState
        self.detail = detail
        self.hint = hint
        self.constraint = constraint
        self.schema = schema
        self.table = table
        self.column = column
        self.query = query
    }

    /// SQLSTATE 23505: a unique or primary key constraint was violated.
    public var isUniqueViolation: Bool { sqlState == SQLState.uniqueViolation }
    /// SQLSTATE 23503: a foreign key constraint was violated.
    public var isForeignKeyViolation: Bool { sqlState == SQLState.foreignKeyViolation }
    /// SQLSTATE 40001 or 40P01: the transaction may succeed if run again.
    public var isRetryable: Bool {
        sqlState == SQLState.serializationFailure || sqlState == SQLState.deadlockDetected
    }
    /// The database could not be reached or the connection broke.
    public var isConnectionProblem: Bool {
        code == .connectionFailed || code == .connectionClosed
            || (sqlState.map { $0.hasPrefix("08") || $0 == SQLState.adminShutdown || $0 == SQLState.cannotConnectNow } ?? false)
    }

    public var description: String {
        var text = message
        if let sqlState { text = "\(text) (SQLSTATE \(sqlState))" }
        if let detail { text += "; detail: \(detail)" }
        if let hint { text += "; hint: \(hint)" }
        if let constraint { text += "; constraint: \(constraint)" }
        return text
    }
}

/// SQLSTATE codes the project maps deliberately.
public enum SQLState {
    public static let uniqueViolation = "23505"
    public static let foreignKeyViolation = "23503"
    public static let checkViolation = "23514"
    public static let notNullViolation = "23502"
    public static let exclusionViolation = "23P01"
    public static let serializationFailure = "40001"
    public static let deadlockDetected = "40P01"
    public static let insufficientPrivilege = "42501"
    public static let undefinedTable = "42P01"
    public static let adminShutdown = "57P01"
    public static let cannotConnectNow = "57P03"
    public static let queryCanceled = "57014"
    public static let lockNotAvailable = "55P03"
    public static let invalidTextRepresentation = "22P02"
    public static let raiseException = "P0001"
}

/// A column value that could not be turned into the Swift type asked for.
public struct PostgresDecodingError: Error, Sendable, CustomStringConvertible {
    /// The column's name as the query returned it.
    public var column: String
    /// The column's PostgreSQL type.
    public var postgresType: PostgresType
    /// The Swift type that was asked for.
    public var swiftType: String
    /// Why it did not fit.
    public var reason: String

    public var description: String {
        "column \"\(column)\" (\(postgresType)) cannot be read as \(swiftType): \(reason)"
    }
}
