import ChitieuDomain
public import Foundation
import Postgres

/// A PostgreSQL login for reporting tools, tied to one province.
public struct ReportingLogin: Sendable, Hashable {
    public var login: String
    /// The provinces (ids) whose group the login belongs to.
    public var provinceIDs: [Int64]
    public var connectionLimit: Int
    public var validUntil: Date?
}

/// Creates, lists and drops reporting logins. Run with the owner's rights (CREATEROLE).
public struct ReportingLogins: Sendable {
    let database: ChitieuDatabase

    public init(database: ChitieuDatabase) {
        self.database = database
    }

    /// Creates a LOGIN role that reads `province` through the `reporting` views. The password's
    /// SCRAM verifier is computed on this side; the clear text never reaches the server.
    public func create(province: Province, login: String, password: String) async throws -> ReportingLogin {
        guard login.range(of: "^[a-z_][a-z0-9_]{2,62}$", options: .regularExpression) != nil, !login.hasPrefix("pg_"), !login.hasPrefix("chitieu") else {
            throw ChitieuError(.invalid,
                field: "login",
                reason: "'\(login.prefix(80))' is not a valid login: 3 to 63 characters of a–z, 0–9 and _, not starting with a digit, pg_ or chitieu")
        }
        guard password.count >= 12 else { throw ChitieuError(.invalid, field: "password", reason: "is shorter than 12 characters") }
        guard password.utf8.count <= 1024 else { throw ChitieuError(.invalid, field: "password", reason: "is longer than 1024 bytes") }
        do {
            try await database.pool.withConnection { connection in
                let verifier = try await connection.encryptPassword(password, role: login)
                try await connection.query("SELECT chitieu.create_reporting_login(\(province.id), \(login), \(verifier))")
            }
        } catch let error as PostgresError where error.sqlState == "42710" {
            throw ChitieuError(.invalid, field: "login", reason: "a database role named '\(login)' exists already")
        } catch let error as PostgresError where error.sqlState == "42501" {
            throw ChitieuError(.invalid, field: "login", reason: "the database user of this command may not create roles (it needs CREATEROLE): \(error.message)")
        }
        return try await list().first { $0.login == login }!
    }

    /// Every reporting login, with the provinces it reads.
    public func list() async throws -> [ReportingLogin] {
        try await database.pool.query(
            """
            SELECT r.rolname, r.rolconnlimit, r.rolvaliduntil,
                   coalesce(array_agg(substr(g.rolname, 10)::bigint ORDER BY g.rolname)
                            FILTER (WHERE g.rolname ~ '^chitieu_p[0-9]+$'), '{}') AS provinces
            FROM pg_roles r
            JOIN pg_auth_members m ON m.member = r.oid
            JOIN pg_roles g ON g.oid = m.roleid
            WHERE r.rolcanlogin AND r.oid IN (
                SELECT m2.member FROM pg_auth_members m2 JOIN pg_roles rep ON rep.oid = m2.roleid AND rep.rolname = 'chitieu_reporting')
            GROUP BY r.rolname, r.rolconnlimit, r.rolvaliduntil
            ORDER BY r.rolname
            """
        ).map { row in
            ReportingLogin(
                login: try row.decode(String.self, at: 0), provinceIDs: try row.decode([Int64].self, at: 3),
                connectionLimit: try row.decode(Int.self, at: 1), validUntil: try row.decode(Date?.self, at: 2))
        }
    }

    /// Drops a reporting login (refuses any other role).
    public func drop(login: String) async throws {
        do {
            try await database.pool.query("SELECT chitieu.drop_reporting_login(\(login))")
        } catch let error as PostgresError where error.sqlState == "22023" {
            throw ChitieuError(.invalid, field: "login", reason: "'\(login.prefix(80))' is not a reporting login")
        }
    }
}
