import ChitieuDomain
import Postgres

/// Checks the stores' paged lists share.
enum Paging {
    /// A page holds 1 to 1000 items.
    static func check(limit: Int) throws {
        guard (1...1000).contains(limit) else { throw ChitieuError.integerRange("limit", 1...1000) }
    }

    /// A cursor names a row this server gave: `rows` is the lookup of that row.
    static func requireCursor(_ rows: PostgresRows) throws {
        guard !rows.isEmpty else { throw ChitieuError(.invalid, field: "cursor", .badCursor) }
    }
}
