import Postgres

/// What the fair floors of the bulk paths share: the columns a hand-written INSERT writes.
enum FloorSQL {
    /// The columns of `chitieu.<table>` an INSERT writes (every stored column but generated
    /// ones), in their order, unquoted.
    static func columns(_ table: String, _ c: PostgresConnection) async throws -> [String] {
        try await c.query(
            """
            SELECT attname::text FROM pg_attribute
            WHERE attrelid = format('chitieu.%I', \(table)::text)::regclass AND attnum > 0 AND NOT attisdropped AND attgenerated = ''
            ORDER BY attnum
            """
        ).map { try $0.decode(String.self, at: 0) }
    }

    /// A table's name in the chitieu schema, quoted.
    static func table(_ name: String) -> String {
        "chitieu." + PostgresQuery.quoteIdentifier(name)
    }

    /// Rows per second, 0 for no time.
    static func rate(_ rows: Int, _ seconds: Double) -> Double {
        seconds > 0 ? Double(rows) / seconds : 0
    }
}
