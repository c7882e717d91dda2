import ArgumentParser
import ChitieuCommandSupport
import ChitieuCrypto
import ChitieuDomain
import ChitieuStore
import Foundation
import Postgres

extension ChitieuBench {
    /// `chitieu-bench auth`: what authentication and row-level security cost.
    struct Auth: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "auth",
            abstract: "Login (scrypt) cost, bearer-token verification cost, and the overhead of row-level security at national scale.",
            discussion: """
                Meant for the scratch database `bench allocate` filled (./Deploy/dev bench runs both): every province's
                units, indicators and targets. It creates one account to log in with, then measures:
                  - a login: scrypt with the product's parameters, the credential read and a session token written;
                  - a token verification: SHA-256, one tenant transaction reading the token, the account and its grants;
                  - three province-scoped queries run as the owner, once with row-level security forced as in
                    production, once inside a transaction that lifts FORCE ROW LEVEL SECURITY and is rolled back,
                    over every province, so both see the same data and the same plans.
                Medians are printed; these machines are shared, so compare ratios.
                """)

        @OptionGroup var database: DatabaseOptions
        @Option(help: "Logins to time.") var logins = 20
        @Option(help: "Token verifications to time.") var verifications = 2_000
        @Option(help: "Rounds over every province for each query and mode.") var rounds = 5

        static func median(_ values: [Double]) -> Double {
            let sorted = values.sorted()
            return sorted.isEmpty ? 0 : sorted[sorted.count / 2]
        }

        static func percentile(_ values: [Double], _ p: Double) -> Double {
            let sorted = values.sorted()
            return sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]
        }

        static func time(_ body: () async throws -> Void) async rethrows -> Double {
            let clock = ContinuousClock()
            let start = clock.now
            try await body()
            return (clock.now - start).seconds
        }

        func run() async throws {
            try await runReportingErrors {
                try await withAdminDatabase(database, connections: 2) { owner in
                    let provinces = try await TenantStore(database: owner).list()
                    let targets = try await owner.pool.withConnection { c in
                        try await c.query("SELECT (pg_relation_size('chitieu.target') > 0)::int")[0].decode(Int.self, at: 0)
                    }
                    guard provinces.count > 1, targets > 0 else {
                        throw ChitieuError(.invalid, field: "database", reason: "it holds no national data; run `chitieu-bench allocate` on it first")
                    }
                    try await measureAuthentication(owner, province: provinces[0])
                    try await measureRowLevelSecurity(owner, provinces: provinces)
                }
            }
        }

        func measureAuthentication(_ owner: ChitieuDatabase, province: Province) async throws {
            let username = "bench.login.\(UInt32.random(in: 0...UInt32.max))"
            let password = "mật khẩu đo hiệu năng 2026"
            _ = try await AccountStore(database: owner).create(
                province: province.id, username: username, displayName: "Tài khoản đo", homeUnit: nil, password: password, caller: .command("bench auth"))
            _ = try await AccountStore(database: owner).grant(
                province: province.id, username: username, role: .province, unit: .code(province.code), caller: .command("bench auth"))
            let authenticator = Authenticator(database: owner, limits: LoginLimits(perAccount: 1_000_000, perAddress: 1_000_000))

            let scrypt = try await (0..<max(5, logins)).asyncMap { _ in
                try await Self.time {
                    _ = try Scrypt.derive(password: Array(password.utf8), salt: try SecureRandom.bytes(16), parameters: .standard)
                }
            }
            var token = ""
            let login = try await (0..<logins).asyncMap { _ in
                try await Self.time { token = try await authenticator.login(username: username, password: password, address: "127.0.0.1").secret }
            }
            _ = try await authenticator.authenticate(bearer: token)
            let verify = try await (0..<verifications).asyncMap { _ in
                try await Self.time { _ = try await authenticator.authenticate(bearer: token) }
            }
            let hashing = (0..<10_000).map { _ in
                let clock = ContinuousClock()
                let start = clock.now
                _ = constantTimeEqual(SHA256.hash(Array(token.utf8)), SHA256.hash(Array(token.utf8)))
                return (clock.now - start).seconds
            }
            print("Authentication (province \(province.code), scrypt N=2^15 r=8 p=1, one connection):")
            print(String(format: "  scrypt alone                      median %8.1f ms", Self.median(scrypt) * 1000))
            print(String(format: "  login (POST /v1/sessions's work)  median %8.1f ms   p90 %6.1f ms   (%d logins)",
                         Self.median(login) * 1000, Self.percentile(login, 0.9) * 1000, login.count))
            print(String(format: "  token verification per request    median %8.0f µs   p99 %6.0f µs   (%d verifications)",
                         Self.median(verify) * 1e6, Self.percentile(verify, 0.99) * 1e6, verify.count))
            print(String(format: "    of which SHA-256 + comparison   median %8.2f µs", Self.median(hashing) * 1e6))
        }

        func measureRowLevelSecurity(_ owner: ChitieuDatabase, provinces: [Province]) async throws {
            let queries: [(String, @Sendable (Int64) -> PostgresQuery)] = [
                ("target sheet of one indicator (≈ units × 6 rows)", { p in """
                    SELECT t.unit_id, t.year, t.value FROM chitieu.target t
                    JOIN chitieu.indicator i ON i.province_id = t.province_id AND i.indicator_id = t.indicator_id
                    WHERE t.province_id = \(p) AND i.code = 'DA8-01'
                    """ }),
                ("district totals of every indicator (aggregate)", { p in """
                    SELECT u.parent_id, t.indicator_id, sum(t.value) FROM chitieu.target t
                    JOIN chitieu.admin_unit u ON u.province_id = t.province_id AND u.unit_id = t.unit_id
                    WHERE t.province_id = \(p) AND t.year IS NULL AND u.level = 'commune'
                    GROUP BY u.parent_id, t.indicator_id
                    """ }),
                ("reporting.target_yearly view, one indicator, one year", { p in """
                    SELECT unit_code, unit_name, target FROM reporting.target_yearly
                    WHERE province_id = \(p) AND indicator_code = 'DA8-02' AND year = 2023
                    """ }),
            ]
            let tables = ["target", "indicator", "admin_unit", "phase"]
            print("Row-level security at national scale (\(provinces.count) provinces, the same queries with and without it):")
            try await owner.pool.withConnection { connection in
                for (name, query) in queries {
                    var with: [Double] = []
                    var without: [Double] = []
                    for round in 0..<(rounds + 1) {
                        for mode in [true, false] {
                            try await connection.query("BEGIN")
                            if !mode {
                                for table in tables {
                                    try await connection.query(PostgresQuery(unsafeSQL: "ALTER TABLE chitieu.\(table) NO FORCE ROW LEVEL SECURITY"))
                                }
                            }
                            for province in provinces {
                                try await connection.query("SELECT chitieu.use_province(\(province.id))", prepared: true)
                                let seconds = try await Self.time { try await connection.query(query(province.id), prepared: true) }
                                if round > 0 { if mode { with.append(seconds) } else { without.append(seconds) } }
                            }
                            try await connection.query(mode ? "COMMIT" : "ROLLBACK")
                        }
                    }
                    let w = Self.median(with), wo = Self.median(without)
                    print(String(format: "  %-52@ with %7.2f ms   without %7.2f ms   overhead %+5.1f%%", name as NSString, w * 1000, wo * 1000, (w / wo - 1) * 100))
                }
            }
        }
    }
}

extension Range where Bound == Int {
    /// Runs `body` for each element in turn and collects the results.
    func asyncMap<T>(_ body: (Int) async throws -> T) async rethrows -> [T] {
        var out: [T] = []
        out.reserveCapacity(count)
        for i in self { out.append(try await body(i)) }
        return out
    }
}
