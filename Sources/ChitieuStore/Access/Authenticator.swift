public import ChitieuCrypto
import ChitieuDomain
public import Foundation
public import Postgres
import Synchronization

/// A token just issued: the secret is shown once and stored only as its SHA-256.
public struct IssuedToken: Sendable {
    /// The bearer token, `ct_<province id>_<43 base64url characters>` (256 random bits).
    public var secret: String
    public var id: UUID
    public var account: Account
    public var kind: String
    public var name: String?
    public var expiresAt: Date?
}

/// A token as listed (never its secret).
public struct TokenRecord: Sendable, Hashable {
    public var id: UUID
    public var username: String
    public var kind: String
    public var name: String?
    public var createdAt: Date
    public var expiresAt: Date?
    public var revokedAt: Date?
    public var lastUsedAt: Date?
}

/// Limits on failed logins, per account and per client address, in fixed windows.
public struct LoginLimits: Sendable {
    /// Failures allowed per username in a window before it is blocked for the rest of the window.
    public var perAccount: Int
    /// Failures allowed per client address in a window.
    public var perAddress: Int
    /// The window, in seconds.
    public var windowSeconds: Int
    /// Password checks (scrypt) running at once in this process; beyond it logins answer 429.
    public var concurrentHashes: Int

    public init(perAccount: Int = 5, perAddress: Int = 50, windowSeconds: Int = 900, concurrentHashes: Int = 16) {
        self.perAccount = perAccount
        self.perAddress = perAddress
        self.windowSeconds = windowSeconds
        self.concurrentHashes = concurrentHashes
    }
}

/// Counts the password checks in flight in this process, so a flood of logins cannot queue
/// unbounded scrypt work (32 MiB and tens of milliseconds each).
final class LoginGate: Sendable {
    static let shared = LoginGate()
    private let inFlight = Mutex(0)

    /// Takes a slot; false when `limit` checks are running.
    func enter(limit: Int) -> Bool {
        inFlight.withLock { count in
            guard count < limit else { return false }
            count += 1
            return true
        }
    }

    /// Gives back a slot taken by `enter`.
    func leave() {
        inFlight.withLock { $0 -= 1 }
    }
}

/// Logins, bearer tokens and their verification.
public struct Authenticator: Sendable {
    let database: ChitieuDatabase
    let limits: LoginLimits
    /// How long a login's session token lives.
    let sessionSeconds: Int
    /// Parameters for new hashes; a login with an older, weaker hash rehashes the password.
    let passwordParameters: Scrypt.Parameters
    /// Tokens verified lately (the daemon's; nil: every token is checked in the database).
    let cache: TokenCache?

    public init(
        database: ChitieuDatabase, limits: LoginLimits = LoginLimits(), sessionSeconds: Int = 12 * 3600,
        passwordParameters: Scrypt.Parameters = .standard, cache: TokenCache? = nil
    ) {
        self.cache = cache
        self.database = database
        self.limits = limits
        self.sessionSeconds = sessionSeconds
        self.passwordParameters = passwordParameters
    }

    static let tokenPrefix = "ct_"

    /// Makes a token secret for a province: 256 bits from the OpenSSL generator.
    static func newSecret(province: Int64) throws -> String {
        "\(tokenPrefix)\(province)_\(Base64URL.encode(try SecureRandom.bytes(32)))"
    }

    /// The province a token names, or nil when it is not of the token's form.
    static func province(ofToken token: String) -> Int64? {
        guard token.hasPrefix(tokenPrefix) else { return nil }
        let rest = token.utf8.dropFirst(tokenPrefix.utf8.count)
        guard let underscore = rest.firstIndex(of: UInt8(ascii: "_")) else { return nil }
        let digits = rest[rest.startIndex..<underscore]
        let secret = rest[rest.index(after: underscore)...]
        guard (1...18).contains(digits.count), digits.allSatisfy({ (0x30...0x39).contains($0) }), secret.count == 43,
              secret.allSatisfy({ (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) || $0 == 0x2D || $0 == 0x5F })
        else { return nil }
        return Int64(String(decoding: digits, as: UTF8.self))
    }

    static func digest(_ token: String) -> Data { Data(SHA256.hash(Array(token.utf8))) }

    static let invalid = ChitieuError(.unauthenticated, "the bearer token is not valid")

    // MARK: Logins

    /// Checks a username and password and opens a session: returns a token that lives for the
    /// session lifetime. Failures are counted per username and per `address`; over the limit,
    /// logins are refused (429) until the window ends, without checking the password.
    public func login(username rawUsername: String, password rawPassword: String, address: String?, requestID: String? = nil) async throws -> IssuedToken {
        let username = rawUsername.trimmingCharacters(in: .whitespaces).lowercased()
        let accountKey = "account:\(username.prefix(100))"
        let addressKey = address.map { "address:\(Self.addressGroup($0).prefix(100))" }
        // Every attempt is counted before the password is checked, atomically, so parallel
        // attempts cannot all slip in under the limit; a success gives the attempt back. One
        // refused for its account does not count for its address; one refused for its address,
        // or because the server is busy checking other passwords, gives its counts back.
        try await reserveAttempt(accountKey, limit: limits.perAccount)
        var counted = [accountKey]
        do {
            if let addressKey {
                try await reserveAttempt(addressKey, limit: limits.perAddress)
                counted.append(addressKey)
            }
            guard LoginGate.shared.enter(limit: limits.concurrentHashes) else {
                throw ChitieuError.rateLimited(retryAfter: 1, "the server is busy checking other logins; try again in a second")
            }
        } catch {
            _ = try? await database.pool.query(
                "UPDATE chitieu.login_throttle SET failures = greatest(failures - 1, 0) WHERE key = ANY(\(counted))", prepared: true)
            throw error
        }
        defer { LoginGate.shared.leave() }
        let failure = ChitieuError(.unauthenticated, "the username or password is wrong, or the account is disabled")
        guard (try? AccountStore.normalizedUsername(username)) != nil, rawPassword.utf8.count <= 1024, !rawPassword.utf8.contains(0) else {
            throw failure
        }
        let password = rawPassword.precomposedStringWithCanonicalMapping
        // One tenant transaction whether or not the username exists, so timing tells little.
        let directory = try await database.pool.query(
            "SELECT province_id FROM chitieu.login_name WHERE username = \(username)", prepared: true)
        let province = try directory.first?.decode(Int64.self, at: 0)
        let found = try await database.withTenant(province ?? 0) { tx -> (Account, PasswordHash)? in
            guard province != nil, let account = try await AccountStore.find(username: username, tx: tx) else { return nil }
            return try await Self.credential(of: account.id, tx: tx).map { (account, $0) }
        }
        guard let province, let (account, stored) = found, stored.parameters.isValid else {
            await PasswordHash.verifyNothing(parameters: passwordParameters)
            throw failure
        }
        guard try await stored.verify(password: password), account.status == .active else { throw failure }
        let rehash = stored.parameters != passwordParameters ? try await PasswordHash.make(password: password, parameters: passwordParameters) : nil
        let actor = Actor(accountID: account.id, label: account.username, via: .api, requestID: requestID)
        let token = try await database.withTenant(province) { tx in
            if let rehash { try await AccountStore.storeCredential(rehash, account: account, tx: tx) }
            return try await Self.insertToken(
                account: account, kind: "session", name: nil, expiresAt: Date().addingTimeInterval(TimeInterval(sessionSeconds)),
                createdBy: account.id, actor: actor, tx: tx)
        }
        try await database.pool.query("DELETE FROM chitieu.login_throttle WHERE key = \(accountKey)", prepared: true)
        if let addressKey {
            try await database.pool.query(
                "UPDATE chitieu.login_throttle SET failures = greatest(failures - 1, 0) WHERE key = \(addressKey)", prepared: true)
        }
        return token
    }

    /// An account's stored password; nil when it has none or its parameters cannot be read.
    static func credential(of accountID: UUID, tx: TenantTransaction) async throws -> PasswordHash? {
        let rows = try await tx.query(
            "SELECT parameters::text, salt, hash FROM chitieu.credential WHERE province_id = \(tx.provinceID) AND account_id = \(accountID)",
            prepared: true)
        guard let row = rows.first,
              let parameters = try? JSONDecoder().decode(Scrypt.Parameters.self, from: Data(try row.decode(String.self, at: 0).utf8))
        else { return nil }
        return PasswordHash(parameters: parameters, salt: Array(try row.decode(Data.self, at: 1)), hash: Array(try row.decode(Data.self, at: 2)))
    }

    /// Changes the caller's own password. `current` must be the password now (a wrong one counts
    /// toward the account's login limit, so it cannot be guessed faster than by logging in);
    /// `new` follows the rule of every password. The account's other sessions end; the one
    /// presented (`bearer`) stays open. Returns how many sessions ended.
    public func changePassword(bearer: String, current rawCurrent: String, new rawNew: String, caller: Caller) async throws -> Int {
        guard let account = caller.account, case .account(let province) = caller.principal.kind else {
            throw ChitieuError(.forbidden, "only an account signed in changes its own password")
        }
        let new = try AccountStore.normalizedPassword(rawNew, field: "new_password")
        let current = rawCurrent.precomposedStringWithCanonicalMapping
        if current == new { throw ChitieuError(.invalid, field: "new_password", reason: "is the same as the current password") }
        let accountKey = "account:\(account.username.prefix(100))"
        try await reserveAttempt(accountKey, limit: limits.perAccount)
        let stored = try await database.withTenant(province) { tx in try await Self.credential(of: account.id, tx: tx) }
        guard let stored, stored.parameters.isValid, rawCurrent.utf8.count <= 1024, try await stored.verify(password: current) else {
            throw ChitieuError(.invalid, field: "current_password", reason: "is not the account's current password")
        }
        try await database.pool.query("DELETE FROM chitieu.login_throttle WHERE key = \(accountKey)", prepared: true)
        let hash = try await PasswordHash.make(password: new, parameters: passwordParameters)
        let kept = Self.digest(bearer)
        return try await database.withTokenChange(province, cache: cache) { tx in
            try await AccountStore.storeCredential(hash, account: account, tx: tx)
            let ended = try await tx.query(
                """
                UPDATE chitieu.api_token SET revoked_at = now()
                WHERE province_id = \(province) AND account_id = \(account.id) AND kind = 'session' AND revoked_at IS NULL
                  AND token_hash <> \(kept)
                """).affectedRows
            try await AuditLog.record(
                tx, actor: caller.actor, action: "account.password", entityType: "account", entityID: account.username,
                unitID: account.homeUnitID, after: AuditLog.json(["sessions_ended": ended, "by": "self"]))
            return ended
        }
    }

    /// The key a client address is counted under: the address itself, or its /64 for IPv6
    /// (one household or office gets a whole /64).
    static func addressGroup(_ address: String) -> String {
        // An IPv4 client seen by a server listening on `::` (::ffff:192.0.2.1) is its IPv4 address.
        if address.lowercased().hasPrefix("::ffff:"), address.contains(".") { return String(address.dropFirst(7)) }
        guard address.contains(":") else { return address }
        let groups = address.split(separator: ":", omittingEmptySubsequences: false)
        if address.contains("::") || groups.count < 4 {
            // Expand the compressed form enough to read the first four groups.
            let parts = address.components(separatedBy: "::")
            let head = parts[0].split(separator: ":").map(String.init)
            let tailCount = parts.count > 1 ? parts[1].split(separator: ":").count : 0
            let expanded = head + Array(repeating: "0", count: max(0, 8 - head.count - tailCount))
            return expanded.prefix(4).joined(separator: ":") + "::/64"
        }
        return groups.prefix(4).joined(separator: ":") + "::/64"
    }

    /// Counts one attempt under `key` in the current window; refuses (429) when the window
    /// already holds `limit` attempts that did not succeed. A refused attempt is not counted:
    /// the count stops one past the limit.
    func reserveAttempt(_ key: String, limit: Int) async throws {
        let rows = try await database.pool.query(
            """
            INSERT INTO chitieu.login_throttle AS t (key, failures, window_start)
            VALUES (\(key), 1, now())
            ON CONFLICT (key) DO UPDATE SET
                failures = CASE WHEN t.window_start < now() - make_interval(secs => \(limits.windowSeconds)) THEN 1
                                ELSE least(t.failures + 1, \(limit) + 1) END,
                window_start = CASE WHEN t.window_start < now() - make_interval(secs => \(limits.windowSeconds)) THEN now() ELSE t.window_start END
            RETURNING failures, ceil(extract(epoch FROM window_start + make_interval(secs => \(limits.windowSeconds)) - now()))::bigint
            """, prepared: true)
        let failures = try rows[0].decode(Int.self, at: 0)
        if failures > limit {
            let seconds = max(1, Int(try rows[0].decode(Int64.self, at: 1)))
            throw ChitieuError(.rateLimited, .tooManyLogins, ["seconds": .count(seconds)])
        }
    }

    // MARK: Tokens

    static func insertToken(
        account: Account, kind: String, name: String?, expiresAt: Date?, createdBy: UUID?, actor: Actor, tx: TenantTransaction
    ) async throws -> IssuedToken {
        let secret = try newSecret(province: tx.provinceID)
        let id = try await tx.query(
            """
            INSERT INTO chitieu.api_token (province_id, account_id, name, token_hash, kind, expires_at, created_by)
            VALUES (\(tx.provinceID), \(account.id), \(name), \(digest(secret)), \(kind), \(expiresAt), \(createdBy))
            RETURNING token_id
            """, prepared: true)[0].decode(UUID.self, at: 0)
        var after: [String: any Sendable] = ["username": account.username, "kind": kind]
        if let name { after["name"] = name }
        if let expiresAt { after["expires_at"] = ISO8601DateFormatter().string(from: expiresAt) }
        try await AuditLog.record(
            tx, actor: actor, action: kind == "session" ? "session.open" : "token.issue", entityType: "token", entityID: id.uuidString.lowercased(),
            unitID: account.homeUnitID, after: AuditLog.json(after))
        return IssuedToken(secret: secret, id: id, account: account, kind: kind, name: name, expiresAt: expiresAt)
    }

    /// Issues a token for an integration, valid for `lifetimeSeconds` (nil: until revoked).
    public func issue(province: Int64, username: String, name rawName: String?, lifetimeSeconds: Int?, caller: Caller) async throws -> IssuedToken {
        let name = try rawName.map { raw in
            let name = Names.normalized(raw)
            if let error = Names.error("name", with: name, maxLength: 200) { throw error }
            return name
        }
        if let lifetimeSeconds, lifetimeSeconds <= 0 { throw ChitieuError(.invalid, field: "expires", reason: "must be in the future") }
        return try await database.withTenant(province) { tx in
            let account = try await AccountStore.manageable(username: try AccountStore.normalizedUsername(username), caller: caller, tx: tx)
            guard account.status == .active else { throw ChitieuError(.invalid, field: "account", reason: "'\(account.username)' is disabled") }
            return try await Self.insertToken(
                account: account, kind: "integration", name: name, expiresAt: lifetimeSeconds.map { Date().addingTimeInterval(TimeInterval($0)) },
                createdBy: caller.actor.accountID, actor: caller.actor, tx: tx)
        }
    }

    /// The caller a bearer token stands for; throws `unauthenticated` for a token that is
    /// malformed, unknown, expired or revoked, or whose account is disabled.
    public func authenticate(bearer token: String, requestID: String? = nil) async throws -> Caller {
        guard let province = Self.province(ofToken: token) else { throw Self.invalid }
        let hash = Self.digest(token)
        if var caller = cache?.caller(digest: hash) {
            caller.actor.requestID = requestID
            return caller
        }
        let ticket = cache?.ticket(province: province)
        do {
            // One statement, no transaction of its own: chitieu.check_token sets the province for
            // the statement and marks the token used at most once a minute.
            let rows = try await database.pool.query("SELECT * FROM chitieu.check_token(\(province), \(hash))", prepared: true)
            guard let row = rows.first, constantTimeEqual(Array(try row.decode(Data.self, "token_hash")), Array(hash)) else {
                throw Self.invalid
            }
            if try row.decode(Bool.self, "revoked") { throw ChitieuError(.unauthenticated, "the bearer token was revoked") }
            if try row.decode(Bool?.self, "expired") == true { throw ChitieuError(.unauthenticated, "the bearer token has expired") }
            let account = try AccountStore.decode(row)
            guard account.status == .active else { throw ChitieuError(.unauthenticated, "the account is disabled") }
            // The grants and the province's setting came with the token, in the same statement.
            let roles = try row.decode([String].self, "grant_roles").map { Role(rawValue: $0) ?? .viewer }
            let units = try row.decode([Int64].self, "grant_units")
            let principal = Principal(
                provinceID: province, grants: zip(roles, units).map { RoleAssignment(role: $0, unitID: $1) },
                districtAllocation: try row.decode(Bool?.self, "district_allocation") ?? false)
            let caller = Caller(
                principal: principal, actor: Actor(accountID: account.id, label: account.username, via: .api, requestID: requestID),
                account: account)
            if let cache, let ticket {
                cache.store(digest: hash, caller: caller, expiresAt: try row.decode(Date?.self, "expires_at"), ticket: ticket)
            }
            return caller
        } catch let error as PostgresError where error.sqlState == "22023" || error.sqlState == "23503" {
            throw Self.invalid
        }
    }

    /// Revokes the token presented (logout).
    public func revoke(bearer token: String, caller: Caller) async throws {
        guard let province = Self.province(ofToken: token) else { throw Self.invalid }
        try await database.withTokenChange(province, cache: cache) { tx in
            let rows = try await tx.query(
                """
                UPDATE chitieu.api_token SET revoked_at = now()
                WHERE province_id = \(province) AND token_hash = \(Self.digest(token)) AND revoked_at IS NULL
                RETURNING token_id, kind
                """)
            guard let row = rows.first else { throw Self.invalid }
            try await AuditLog.record(
                tx, actor: caller.actor, action: try row.decode(String.self, at: 1) == "session" ? "session.close" : "token.revoke",
                entityType: "token", entityID: try row.decode(UUID.self, at: 0).uuidString.lowercased(), unitID: caller.account?.homeUnitID)
        }
    }

    /// Revokes a token by id, if the caller may manage its account.
    public func revoke(province: Int64, tokenID: UUID, caller: Caller) async throws -> TokenRecord {
        try await database.withTokenChange(province, cache: cache) { tx in
            guard let record = try await Self.tokens(where: tokenID, tx: tx).first else { throw ChitieuError.notFound("the token") }
            let account = try await AccountStore.manageable(username: record.username, caller: caller, tx: tx)
            guard record.revokedAt == nil else { return record }
            try await tx.query("UPDATE chitieu.api_token SET revoked_at = now() WHERE province_id = \(province) AND token_id = \(tokenID)")
            try await AuditLog.record(
                tx, actor: caller.actor, action: "token.revoke", entityType: "token", entityID: tokenID.uuidString.lowercased(),
                unitID: account.homeUnitID, after: AuditLog.json(["username": account.username, "kind": record.kind]))
            return try await Self.tokens(where: tokenID, tx: tx)[0]
        }
    }

    /// The tokens of an account (or of every account the caller manages), newest first.
    public func tokens(province: Int64, username: String?, caller: Caller) async throws -> [TokenRecord] {
        try await database.withTenant(province) { tx in
            var records = try await Self.tokens(where: nil, tx: tx)
            if let username {
                let account = try await AccountStore.manageable(username: try AccountStore.normalizedUsername(username), caller: caller, tx: tx)
                records = records.filter { $0.username == account.username }
            } else if !caller.isOperator {
                var allowed: [String: Bool] = [:]
                var kept: [TokenRecord] = []
                for record in records {
                    if allowed[record.username] == nil {
                        allowed[record.username] = (try? await AccountStore.manageable(username: record.username, caller: caller, tx: tx)) != nil
                    }
                    if allowed[record.username] == true { kept.append(record) }
                }
                records = kept
            }
            return records
        }
    }

    static func tokens(where id: UUID?, tx: TenantTransaction) async throws -> [TokenRecord] {
        try await tx.query(
            """
            SELECT t.token_id, a.username, t.kind, t.name, t.created_at, t.expires_at, t.revoked_at, t.last_used_at
            FROM chitieu.api_token t JOIN chitieu.account a USING (province_id, account_id)
            WHERE t.province_id = \(tx.provinceID) AND (\(id)::uuid IS NULL OR t.token_id = \(id))
            ORDER BY t.created_at DESC, t.token_id
            """
        ).map { row in
            TokenRecord(
                id: try row.decode(UUID.self, at: 0), username: try row.decode(String.self, at: 1), kind: try row.decode(String.self, at: 2),
                name: try row.decode(String?.self, at: 3), createdAt: try row.decode(Date.self, at: 4), expiresAt: try row.decode(Date?.self, at: 5),
                revokedAt: try row.decode(Date?.self, at: 6), lastUsedAt: try row.decode(Date?.self, at: 7))
        }
    }

    /// Deletes tokens that expired or were revoked more than `days` ago (a scheduled job).
    public static func pruneTokens(olderThanDays days: Int, pool: PostgresPool) async throws -> Int {
        // api_token is a tenant table: prune province by province, through row-level security.
        let provinces = try await pool.query("SELECT chitieu.tenant_ids()").map { try $0.decode(Int64.self, at: 0) }
        var removed = 0
        let database = ChitieuDatabase(pool: pool)
        for province in provinces {
            removed += try await database.withTenant(province) { tx in
                try await tx.query(
                    """
                    DELETE FROM chitieu.api_token WHERE province_id = \(province)
                      AND coalesce(revoked_at, expires_at) < now() - make_interval(days => \(days)::int)
                    """).affectedRows
            }
        }
        try await pool.query("DELETE FROM chitieu.login_throttle WHERE window_start < now() - interval '1 day'")
        return removed
    }
}
