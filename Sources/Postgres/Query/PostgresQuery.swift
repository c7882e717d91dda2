/// A SQL statement with its parameters. Interpolated values become `$n` parameters, never
/// SQL text, so no input can change the statement:
///
/// ```swift
/// let rows = try await connection.query("select name from chitieu.province where code = \(code)")
/// ```
public struct PostgresQuery: Sendable, ExpressibleByStringInterpolation, CustomStringConvertible {
    /// The SQL text with `$1`, `$2`… placeholders.
    public var sql: String
    /// The parameter values.
    public var bindings: PostgresBindings

    /// A statement with explicit parameters for `$1`, `$2`….
    public init(unsafeSQL sql: String, bindings: PostgresBindings = PostgresBindings()) {
        self.sql = sql
        self.bindings = bindings
    }

    public init(stringLiteral value: String) {
        self.init(unsafeSQL: value)
    }

    public init(stringInterpolation: StringInterpolation) {
        self.init(unsafeSQL: stringInterpolation.sql, bindings: stringInterpolation.bindings)
    }

    /// The SQL text only; parameter values are never printed.
    public var description: String { sql }

    /// Builds the SQL text and the parameter list as the literal is read.
    public struct StringInterpolation: StringInterpolationProtocol {
        var sql: String
        var bindings = PostgresBindings()

        public init(literalCapacity: Int, interpolationCount: Int) {
            sql = ""
            sql.reserveCapacity(literalCapacity + interpolationCount * 3)
        }

        public mutating func appendLiteral(_ literal: String) { sql += literal }

        /// A value: becomes the next `$n`.
        public mutating func appendInterpolation<Value: PostgresEncodable>(_ value: Value) {
            bindings.append(value)
            sql += "$\(bindings.count)"
        }

        /// An optional value: NULL when nil.
        public mutating func appendInterpolation<Value: PostgresEncodable>(_ value: Value?) {
            bindings.append(value)
            sql += "$\(bindings.count)"
        }

        /// A fragment of SQL fixed at compile time (a column list, say): never input.
        public mutating func appendInterpolation(sql fragment: StaticString) {
            sql += fragment.description
        }

        /// An identifier (role, table, channel) for statements that take no parameters, such
        /// as `CREATE ROLE` or `LISTEN`: double-quoted, inner quotes doubled, so it stays one name.
        public mutating func appendInterpolation(identifier: String) {
            sql += PostgresQuery.quoteIdentifier(identifier)
        }
    }

    /// Quotes an identifier: `a"b` becomes `"a""b"`.
    public static func quoteIdentifier(_ name: String) -> String {
        "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// Quotes a literal for the few statements that cannot take parameters.
    public static func quoteLiteral(_ value: String) -> String {
        "'" + value.replacingOccurrences(of: "'", with: "''") + "'"
    }
}

/// The parameters of a query, in order, in text format (nil is SQL NULL).
public struct PostgresBindings: Sendable {
    /// Text of each parameter; nil for NULL.
    public private(set) var values: [String?] = []
    /// Type of each parameter (`.unspecified` lets the server infer it).
    public private(set) var types: [PostgresType] = []

    /// An empty list.
    public init() {}

    /// The number of parameters.
    public var count: Int { values.count }

    /// Appends a value.
    public mutating func append<Value: PostgresEncodable>(_ value: Value) {
        if let optional = value as? any _PostgresOptionalMarker, optional._isNil {
            values.append(nil)
        } else {
            values.append(value.postgresText)
        }
        types.append(Value.postgresType)
    }

    /// Appends an optional value; nil is NULL.
    public mutating func append<Value: PostgresEncodable>(_ value: Value?) {
        values.append(value?.postgresText)
        types.append(Value.postgresType)
    }
}

extension String {
    /// Replaces every occurrence; Foundation-free so the query type stays light.
    fileprivate func replacingOccurrences(of target: String, with replacement: String) -> String {
        guard contains(target) else { return self }
        return split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
