import ChitieuTesting
import Foundation
import Postgres
import Testing

@Suite("Types round-trip through PostgreSQL")
struct TypeRoundTripTests {
    func roundTrip<T: PostgresEncodable & PostgresDecodable & Equatable>(_ value: T, as sqlType: String, on pool: PostgresPool) async throws -> T {
        let rows = try await pool.query(PostgresQuery(unsafeSQL: "SELECT $1::\(sqlType) AS v", bindings: {
            var b = PostgresBindings()
            b.append(value)
            return b
        }()))
        return try rows[0].decode(T.self, "v")
    }

    @Test func everySupportedTypeRoundTrips() async throws {
        let db = try await TestDatabase.make(migrated: false)
        let pool = db.ownerPool()
        #expect(try await roundTrip(Int.max, as: "bigint", on: pool) == Int.max)
        #expect(try await roundTrip(Int.min, as: "bigint", on: pool) == Int.min)
        #expect(try await roundTrip(Int64(-42), as: "bigint", on: pool) == -42)
        #expect(try await roundTrip(Int32.max, as: "integer", on: pool) == Int32.max)
        #expect(try await roundTrip(Int16.min, as: "smallint", on: pool) == Int16.min)
        #expect(try await roundTrip(Double(3.141592653589793), as: "double precision", on: pool) == 3.141592653589793)
        #expect(try await roundTrip(Double.infinity, as: "double precision", on: pool) == .infinity)
        #expect(try await roundTrip(true, as: "boolean", on: pool) == true)
        #expect(try await roundTrip(false, as: "boolean", on: pool) == false)
        let vietnamese = "Xã Điện Quan, Huyện Bảo Yên — \"Thủ lĩnh của sự thay đổi\"\t\\ 'quoted'"
        #expect(try await roundTrip(vietnamese, as: "text", on: pool) == vietnamese)
        #expect(try await roundTrip("", as: "text", on: pool) == "")
        let uuid = UUID()
        #expect(try await roundTrip(uuid, as: "uuid", on: pool) == uuid)
        let decimal = Decimal(string: "12345678901234567890.123456789")!
        #expect(try await roundTrip(decimal, as: "numeric", on: pool) == decimal)
        let date = Date(timeIntervalSince1970: 1_764_000_000.123456)
        let back = try await roundTrip(date, as: "timestamptz", on: pool)
        #expect(abs(back.timeIntervalSince1970 - date.timeIntervalSince1970) < 0.000_001)
        let before1970 = Date(timeIntervalSince1970: -86_400 * 365.25 * 30 + 0.5)
        #expect(abs(try await roundTrip(before1970, as: "timestamptz", on: pool).timeIntervalSince1970 - before1970.timeIntervalSince1970) < 0.000_001)
        let day = PostgresDate(year: 2024, month: 2, day: 29)
        #expect(try await roundTrip(day, as: "date", on: pool) == day)
        let bytes = Data([0, 1, 2, 0xfe, 0xff, 0x5c])
        #expect(try await roundTrip(bytes, as: "bytea", on: pool) == bytes)
        #expect(try await roundTrip([1, -2, 3], as: "bigint[]", on: pool) == [1, -2, 3])
        #expect(try await roundTrip([Int](), as: "bigint[]", on: pool) == [])
        let strings = ["a,b", "c\"d", "NULL", "", "e f", "g\\h", "Lào Cai", "{x}"]
        #expect(try await roundTrip(strings, as: "text[]", on: pool) == strings)
        let optionals: [String?] = ["x", nil, "NULL"]
        #expect(try await roundTrip(optionals, as: "text[]", on: pool) == optionals)
        let extremes: [Int64] = [.min, -1, 0, 7, .max]
        #expect(try await roundTrip(extremes, as: "bigint[]", on: pool) == extremes)
        let years: [Int16?] = [2021, nil, -3, 0]
        #expect(try await roundTrip(years, as: "smallint[]", on: pool) == years)
        #expect([Int64?]([1, nil]).postgresText == "{1,NULL}" && [Int]([-12, 3]).postgresText == "{-12,3}")
        #expect(try await roundTrip([uuid], as: "uuid[]", on: pool) == [uuid])
        #expect(try await roundTrip([true, false], as: "boolean[]", on: pool) == [true, false])
        #expect(try await roundTrip([1.5, -2.25], as: "double precision[]", on: pool) == [1.5, -2.25])
        let noInt: Int? = nil
        #expect(try await roundTrip(noInt, as: "bigint", on: pool) == nil)
        #expect(try await roundTrip(Optional(7), as: "bigint", on: pool) == 7)
        await pool.shutdown()
    }

    @Test func interpolatedValuesAreParametersNotSQL() async throws {
        let db = try await TestDatabase.make(migrated: false)
        let pool = db.ownerPool()
        let hostile = "x'); DROP TABLE pg_class; --"
        let rows = try await pool.query("SELECT \(hostile)::text AS v, \(42) AS n")
        #expect(try rows[0].decode(String.self, "v") == hostile)
        #expect(try rows[0].decode(Int.self, "n") == 42)
        let query: PostgresQuery = "SELECT \(hostile)::text"
        #expect(query.sql == "SELECT $1::text")
        await pool.shutdown()
    }

    @Test func nullIntoNonOptionalFailsNamingTheColumn() async throws {
        let db = try await TestDatabase.make(migrated: false)
        let pool = db.ownerPool()
        let rows = try await pool.query("SELECT NULL::bigint AS members")
        #expect(try rows[0].decode(Int?.self, "members") == nil)
        let error = #expect(throws: PostgresDecodingError.self) { try rows[0].decode(Int.self, "members") }
        #expect(error?.column == "members")
        #expect(error?.description.contains("\"members\"") == true)
        #expect(error?.description.contains("NULL") == true)
        await pool.shutdown()
    }

    @Test func wrongTypeFailsNamingColumnAndTypes() async throws {
        let db = try await TestDatabase.make(migrated: false)
        let pool = db.ownerPool()
        let rows = try await pool.query("SELECT 'Lào Cai'::text AS name, 1.5::numeric AS rate")
        let error = #expect(throws: PostgresDecodingError.self) { try rows[0].decode(Int.self, "name") }
        #expect(error?.column == "name")
        #expect(error?.postgresType == .text)
        #expect(error?.swiftType == "Int")
        #expect(throws: PostgresDecodingError.self) { try rows[0].decode(Bool.self, at: 1) }
        #expect(throws: PostgresDecodingError.self) { try rows[0].decode(Int.self, "no_such_column") }
        await pool.shutdown()
    }
}

@Suite("Array and date text formats")
struct TextFormatTests {
    @Test func arrayTextParsesQuotesEscapesAndNull() throws {
        let array = try [String?].decode(text: #"{a,"b c","d\"e","f\\g",NULL,"NULL",""}"#, type: .textArray)
        #expect(array == ["a", "b c", "d\"e", "f\\g", nil, "NULL", ""])
    }

    @Test func malformedArrayIsRefused() {
        #expect(throws: PostgresDecodingFailure.self) { try [Int].decode(text: "{1,2", type: .int8Array) }
        #expect(throws: PostgresDecodingFailure.self) { try [Int].decode(text: "{{1},{2}}", type: .int8Array) }
    }

    @Test func datesParseWithOffsets() throws {
        let utc = try Date.decode(text: "2025-07-01 00:00:00+00", type: .timestamptz)
        let hanoi = try Date.decode(text: "2025-07-01 07:00:00+07", type: .timestamptz)
        #expect(utc == hanoi)
        let date = try Date.decode(text: "2025-07-01", type: .date)
        #expect(date == utc)
        #expect(PostgresDate("2025-02-29") == nil)
        #expect(PostgresDate("2024-02-29") != nil)
    }
}
