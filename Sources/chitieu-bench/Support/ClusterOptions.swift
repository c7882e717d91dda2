import ArgumentParser
import Foundation
import Logging
import Postgres

/// The PostgreSQL cluster a benchmark makes its scratch databases in, and the roles it connects
/// as: the superuser (databases made and dropped, pgbench's own tables), the owner (migrations,
/// operator commands) and the daemon's role.
struct ClusterOptions: ParsableArguments {
    @Option(help: "The cluster's host: a Unix socket directory or a host name (default: libpq's).") var host: String?
    @Option(help: "The cluster's port.") var port = 5432
    @Option(help: "A superuser role of the cluster.") var superuser = "postgres"
    @Option(help: "The role that owns chitieu's databases.") var owner = "chitieu_owner"
    @Option(help: "The daemon's role.") var appRole = "chitieu_app"

    /// The URL of `database` as `role`.
    func url(_ role: String, _ database: String) -> String {
        var allowed = CharacterSet.alphanumerics.intersection(CharacterSet(charactersIn: Unicode.Scalar(0)...Unicode.Scalar(127)))
        allowed.insert(charactersIn: "/._~-")
        let query = [host.map { "host=" + ($0.addingPercentEncoding(withAllowedCharacters: allowed) ?? $0) }, "port=\(port)"]
        return "postgresql://\(role)@/\(database)?" + query.compactMap { $0 }.joined(separator: "&")
    }

    /// Runs `body` on a connection to `database` (default `postgres`) as the superuser.
    func asSuperuser<T>(_ database: String = "postgres", _ body: (PostgresConnection) async throws -> T) async throws -> T {
        let connection = try await PostgresConnection.connect(
            PostgresConfiguration(connectionString: url(superuser, database)), logger: Logger(label: "chitieu-bench", factory: { _ in SwiftLogNoOpLogHandler() }))
        do {
            let value = try await body(connection)
            await connection.close()
            return value
        } catch {
            await connection.close()
            throw error
        }
    }

    /// Drops `database` if it exists and makes it again, empty, owned by `owner` (or the superuser).
    func recreate(_ database: String, owner: String? = nil) async throws {
        let name = try Self.identifier(database)
        try await asSuperuser { connection in
            try await connection.executeScript("DROP DATABASE IF EXISTS \(name)")
            try await connection.executeScript("CREATE DATABASE \(name) OWNER \(try Self.identifier(owner ?? superuser)) ENCODING 'UTF8' TEMPLATE template0")
        }
    }

    /// Drops `database` if it exists.
    func drop(_ database: String) async throws {
        let name = try Self.identifier(database)
        try await asSuperuser { connection in try await connection.executeScript("DROP DATABASE IF EXISTS \(name)") }
    }

    /// A database or role name, checked to be a plain identifier (it is written into DDL, which takes no parameters).
    static func identifier(_ name: String) throws -> String {
        guard let first = name.unicodeScalars.first, first == "_" || ("a"..."z").contains(first),
              name.unicodeScalars.allSatisfy({ $0 == "_" || ("a"..."z").contains($0) || ("0"..."9").contains($0) }), name.count < 64
        else { throw ValidationError("'\(name)' is not a plain database or role name (a-z, 0-9, _)") }
        return name
    }
}
