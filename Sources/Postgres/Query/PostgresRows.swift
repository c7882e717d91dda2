import CLibPQ

/// The rows of a query result. Immutable once made, so it can cross tasks.
public final class PostgresRows: @unchecked Sendable, RandomAccessCollection {
    // @unchecked: the PGresult is owned by this object, never written after creation and
    // freed in deinit; libpq documents PGresult reads as thread-safe.
    private let result: OpaquePointer?
    /// Column names, in order.
    public let columns: [String]
    /// Column types, in order.
    public let columnTypes: [PostgresType]
    /// Rows affected, for INSERT/UPDATE/DELETE/COPY (from the command tag).
    public let affectedRows: Int
    private let columnIndex: [String: Int]

    init(result: OpaquePointer?) {
        self.result = result
        guard let result else {
            columns = []
            columnTypes = []
            affectedRows = 0
            columnIndex = [:]
            return
        }
        let n = Int(PQnfields(result))
        var names: [String] = []
        var types: [PostgresType] = []
        var index: [String: Int] = [:]
        for i in 0..<n {
            let name = String(cString: PQfname(result, Int32(i)))
            names.append(name)
            types.append(PostgresType(oid: PQftype(result, Int32(i))))
            if index[name] == nil { index[name] = i }
        }
        columns = names
        columnTypes = types
        columnIndex = index
        affectedRows = Int(String(cString: PQcmdTuples(result))) ?? 0
    }

    deinit { if let result { PQclear(result) } }

    public var startIndex: Int { 0 }
    public var endIndex: Int { result.map { Int(PQntuples($0)) } ?? 0 }
    public subscript(position: Int) -> PostgresRow { PostgresRow(rows: self, index: position) }

    func cell(row: Int, column: Int) -> PostgresCell {
        let isNull = PQgetisnull(result, Int32(row), Int32(column)) == 1
        let text: String? =
            isNull ? nil : String(cString: PQgetvalue(result, Int32(row), Int32(column)))
        return PostgresCell(text: text, type: columnTypes[column], column: columns[column])
    }

    func index(ofColumn name: String) -> Int? { columnIndex[name] }
}

/// One row of a result.
public struct PostgresRow: Sendable {
    let rows: PostgresRows
    let index: Int

    /// The number of columns.
    public var count: Int { rows.columns.count }

    /// Decodes the column at a position.
    public func decode<T: PostgresDecodable>(_ type: T.Type = T.self, at column: Int) throws(PostgresDecodingError) -> T {
        precondition(column < rows.columns.count, "column \(column) is out of range")
        let cell = rows.cell(row: index, column: column)
        do {
            return try T.decode(cell)
        } catch {
            throw PostgresDecodingError(
                column: cell.column, postgresType: cell.type, swiftType: "\(T.self)", reason: error.reason)
        }
    }

    /// Decodes the column with a name.
    public func decode<T: PostgresDecodable>(_ type: T.Type = T.self, _ column: String) throws(PostgresDecodingError) -> T {
        guard let position = rows.index(ofColumn: column) else {
            throw PostgresDecodingError(
                column: column, postgresType: .unspecified, swiftType: "\(T.self)",
                reason: "the result has no such column (it has \(rows.columns.joined(separator: ", ")))")
        }
        return try decode(type, at: position)
    }

    /// The raw text of a column (nil for NULL).
    public subscript(column: String) -> String? {
        rows.index(ofColumn: column).flatMap { rows.cell(row: index, column: $0).text }
    }
}
