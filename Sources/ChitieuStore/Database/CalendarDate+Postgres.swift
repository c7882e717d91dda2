public import ChitieuDomain
public import Postgres

// The one place where the domain's days and PostgreSQL's `date` meet.

extension CalendarDate: PostgresEncodable, PostgresNonNullDecodable {
    /// The same day as PostgreSQL's client gives it.
    public init(_ date: PostgresDate) {
        self.init(year: date.year, month: date.month, day: date.day)
    }

    public static var postgresType: PostgresType { .date }
    public var postgresText: String { PostgresDate(self).postgresText }

    public static func decode(text: String, type: PostgresType) throws(PostgresDecodingFailure) -> CalendarDate {
        CalendarDate(try PostgresDate.decode(text: text, type: type))
    }
}

extension PostgresDate {
    /// The same day as the domain gives it.
    public init(_ date: CalendarDate) {
        self.init(year: date.year, month: date.month, day: date.day)
    }
}
