import ChitieuTesting
import Foundation
import Postgres
import Testing

/// The connection string goes to libpq as it is, so TLS is set there (`sslmode`, `sslrootcert`),
/// as in psql: checked against a server with a certificate of its own test CA.
@Suite("TLS to PostgreSQL through the connection string")
struct TLSTests {
    /// A test CA, a certificate for localhost signed by it, and a CA that signed nothing.
    static func makeCertificates(in folder: String) async throws {
        let openssl = try #require(ExternalProgram.find("openssl"))
        func path(_ name: String) -> String { folder + "/" + name }
        try "subjectAltName=DNS:localhost\n".write(toFile: path("server.ext"), atomically: true, encoding: .utf8)
        for arguments in [
            ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", path("ca.key"), "-out", path("ca.pem"), "-subj", "/CN=chitieu test CA", "-days", "2"],
            ["req", "-newkey", "rsa:2048", "-nodes", "-keyout", path("server.key"), "-out", path("server.csr"), "-subj", "/CN=localhost"],
            ["x509", "-req", "-in", path("server.csr"), "-CA", path("ca.pem"), "-CAkey", path("ca.key"), "-CAcreateserial", "-out", path("server.pem"),
             "-days", "2", "-extfile", path("server.ext")],
            ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", path("other.key"), "-out", path("other.pem"), "-subj", "/CN=another CA", "-days", "2"],
        ] {
            let result = try await ExternalProgram.run(openssl, arguments)
            #expect(result.status == 0, "openssl \(arguments.joined(separator: " ")): \(result.error)")
        }
        // The server reads its key only when the key is its own and private.
        chmod(folder + "/server.key", 0o600)
        if getuid() == 0 {
            let chown = try await ExternalProgram.run("/bin/chown", ["postgres", folder + "/server.key"])
            #expect(chown.status == 0, "\(chown.error)")
        }
    }

    /// A private cluster listening on localhost with TLS, on a free port.
    static func startServer(certificates folder: String) async throws -> (TestCluster, Int) {
        var lastError: (any Error)?
        for _ in 0..<5 {
            let port = Int.random(in: 20000..<60000)
            do {
                let cluster = try await TestCluster.start(settings: [
                    "listen_addresses": "localhost", "port": String(port), "ssl": "on",
                    "ssl_cert_file": folder + "/server.pem", "ssl_key_file": folder + "/server.key",
                ])
                return (cluster, port)
            } catch {
                lastError = error
            }
        }
        throw lastError ?? TestHarnessError("no port found for a TLS test server")
    }

    static func tls(_ connectionString: String) async throws -> Bool {
        let connection = try await PostgresConnection.connect(PostgresConfiguration(connectionString: connectionString), logger: TestDatabase.logger)
        let ssl = try await connection.query("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")[0].decode(Bool.self, "ssl")
        await connection.close()
        return ssl
    }

    @Test(.enabled(if: ExternalProgram.find("openssl") != nil, "makes its certificates with the openssl program"))
    func verifyFullConnectsOverTLSAndRefusesAnUnknownCAOrHostName() async throws {
        let folder = NSTemporaryDirectory() + "/chitieu-tls-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try await Self.makeCertificates(in: folder)
        let (cluster, port) = try await Self.startServer(certificates: folder)
        try await cluster.use { _ async throws in
            #expect(try await Self.tls("postgresql://postgres@localhost:\(port)/postgres?sslmode=verify-full&sslrootcert=\(folder)/ca.pem"))
            #expect(try await Self.tls("host=localhost port=\(port) dbname=postgres user=postgres sslmode=verify-full sslrootcert=\(folder)/ca.pem"))
            #expect(try await Self.tls("host=localhost port=\(port) dbname=postgres user=postgres sslmode=disable") == false)

            let unknownCA = await #expect(throws: PostgresError.self) {
                try await Self.tls("postgresql://postgres@localhost:\(port)/postgres?sslmode=verify-full&sslrootcert=\(folder)/other.pem")
            }
            #expect(unknownCA?.message.contains("certificate verify failed") == true, "\(unknownCA?.message ?? "")")
            let wrongHost = await #expect(throws: PostgresError.self) {
                try await Self.tls("postgresql://postgres@127.0.0.1:\(port)/postgres?sslmode=verify-full&sslrootcert=\(folder)/ca.pem")
            }
            #expect(wrongHost?.message.contains("does not match host name") == true, "\(wrongHost?.message ?? "")")
        }
    }
}
