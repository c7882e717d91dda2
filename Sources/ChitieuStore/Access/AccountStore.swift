public import ChitieuCrypto
public import ChitieuDomain
public import Foundation
public import Postgres

/// A person or integration that signs in to a province.
public struct Account: Sendable, Hashable {
    /// Active or disabled.
    public enum Status: String, Sendable, Hashable {
        case active, disabled
    }

    public var id: UUID
    public var provinceID: Int64
    /// Unique in the deployment.
    public var username: String
    /// NFC.
    public var displayName: String
    public var status: Status
    /// The unit the account belongs to; nil: the province.
    public var homeUnitID: Int64?
    public var createdAt: Date
}

/// A role given to an account at a unit.
public struct GrantRecord: Sendable, Hashable {
    public var id: Int64
    public var accountID: UUID
    public var username: String
    public var role: Role
    public var unitID: Int64
    public var unitCode: String
    public var unitName: String
    public var validFrom: PostgresDate
    public var validTo: PostgresDate?
    public var revokedAt: Date?
    public var grantedAt: Date
}

/// Accounts, their passwords and their grants. Every change goes through the policy and leaves
/// an audit event in the same transaction.
public struct AccountStore: Sendable {
    let database: ChitieuDatabase
    let passwordParameters: Scrypt.Parameters

    /// Uses a database; new passwords are hashed with `passwordParameters`.
    /// The daemon's kept tokens, dropped at once by the changes made here (nil: none kept).
    let cache: TokenCache?

    public init(database: ChitieuDatabase, passwordParameters: Scrypt.Parameters = .standard, cache: TokenCache? = nil) {
        self.database = database
        self.passwordParameters = passwordParameters
        self.cache = cache
    }

    /// Usernames: 2 to 63 characters of a–z, 0–9, '.', '_' and '-', starting with a letter or digit.
    public static func normalizedUsername(_ raw: String, field: String = "username") throws -> String {
        let username = raw.trimmingCharacters(in: .whitespaces).lowercased()
        let valid = username.utf8.count >= 2 && username.utf8.count <= 63
            && username.utf8.allSatisfy { (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) || $0 == 0x2E || $0 == 0x5F || $0 == 0x2D }
            && username.utf8.first.map { (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) } == true
        guard valid else {
            throw ChitieuError(.invalid, field: field, .badUsername, ["value": .text(String(raw.prefix(80)))])
        }
        return username
    }

    /// Passwords: 10 to 256 characters, compared in NFC.
    public static func normalizedPassword(_ raw: String, field: String = "password") throws -> String {
        let password = raw.precomposedStringWithCanonicalMapping
        guard password.count >= 10 else { throw ChitieuError(.invalid, field: field, .shorterThan, ["minimum": .count(10)]) }
        guard password.count <= 256 else { throw ChitieuError(.invalid, field: field, .tooLong, ["maximum": .count(256)]) }
        return password
    }

    static func displayName(_ raw: String) throws -> String {
        let name = Names.normalized(raw)
        if let error = Names.error("display_name", with: name, maxLength: 200) { throw error }
        return name
    }

    static let columns: StaticString = "account_id, province_id, username, display_name, status, home_unit_id, created_at"
    /// The same columns of `chitieu.account a`, for joins.
    static let qualifiedColumns: StaticString = "a.account_id, a.province_id, a.username, a.display_name, a.status, a.home_unit_id, a.created_at"

    static func decode(_ row: PostgresRow) throws -> Account {
        Account(
            id: try row.decode(UUID.self, "account_id"), provinceID: try row.decode(Int64.self, "province_id"),
            username: try row.decode(String.self, "username"), displayName: try row.decode(String.self, "display_name"),
            status: Account.Status(rawValue: try row.decode(String.self, "status")) ?? .disabled,
            homeUnitID: try row.decode(Int64?.self, "home_unit_id"), createdAt: try row.decode(Date.self, "created_at"))
    }

    static func auditJSON(_ a: Account) -> String {
        AuditLog.json([
            "username": a.username, "display_name": a.displayName, "status": a.status.rawValue,
            "home_unit_id": a.homeUnitID.map { $0 as any Sendable } ?? NSNull(),
        ])
    }

    /// The account with a username in the transaction's province, or nil.
    public static func find(username: String, tx: TenantTransaction) async throws -> Account? {
        try await tx.query(
            "SELECT \(sql: columns) FROM chitieu.account WHERE province_id = \(tx.provinceID) AND username = \(username)",
            prepared: true
        ).first.map(decode)
    }

    /// The account with an id in the transaction's province, or nil.
    public static func find(id: UUID, tx: TenantTransaction) async throws -> Account? {
        try await tx.query(
            "SELECT \(sql: columns) FROM chitieu.account WHERE province_id = \(tx.provinceID) AND account_id = \(id)",
            prepared: true
        ).first.map(decode)
    }

    /// The strongest role an account holds now (nil: none).
    static func highestRole(of account: Account, tx: TenantTransaction) async throws -> Role? {
        try await tx.query(
            """
            SELECT role FROM chitieu.role_grant
            WHERE province_id = \(tx.provinceID) AND account_id = \(account.id) AND revoked_at IS NULL
              AND (valid_to IS NULL OR valid_to >= current_date)
            """, prepared: true
        ).compactMap { Role(rawValue: try $0.decode(String.self, at: 0)) }.max()
    }

    /// Finds an account the caller may manage, or throws (404 outside its scope, 403 above its role).
    static func manageable(username: String, caller: Caller, tx: TenantTransaction) async throws -> Account {
        guard let account = try await find(username: username, tx: tx) else { throw ChitieuError.notFound("the account") }
        // An account without a home unit belongs to the province: its root unit is the resource.
        var home = account.homeUnitID
        if home == nil { home = try await Access.rootUnit(tx: tx) }
        try await Access.require(
            caller, .manageAccount(highestRole: try await highestRole(of: account, tx: tx)), unit: home, what: "the account", tx: tx)
        // And every role it holds must be one the caller could have given: a district officer
        // does not manage an account that also works in another district or above.
        if !caller.isOperator {
            for grant in try await grants(of: account.id, tx: tx) where grant.revokedAt == nil {
                guard let path = try await Access.unitPath(grant.unitID, tx: tx),
                      Policy.decide(caller.principal, .grant(grant.role), .unit(tx.provinceID, path: path)) == .allow
                else { throw ChitieuError(.forbidden, "the account holds roles outside what your roles may manage") }
            }
        }
        return account
    }

    /// Finds an account by id that the caller may manage.
    static func manageable(id: UUID, caller: Caller, tx: TenantTransaction) async throws -> Account {
        guard let account = try await find(id: id, tx: tx) else { throw ChitieuError.notFound("the account") }
        return try await manageable(username: account.username, caller: caller, tx: tx)
    }

    /// Creates an account belonging to a unit (nil: the province), with a password or none (an
    /// integration that only uses issued tokens), and with `role` at that unit if one is given:
    /// the account and its role in one transaction, or neither.
    public func create(
        province: Int64, username rawUsername: String, displayName rawName: String, homeUnit: UnitReference?, password rawPassword: String?,
        role: Role? = nil, caller: Caller
    ) async throws -> Account {
        let username = try Self.normalizedUsername(rawUsername)
        let name = try Self.displayName(rawName)
        let password = try rawPassword.map { try Self.normalizedPassword($0) }
        @Sendable func check(_ tx: TenantTransaction) async throws -> FoundUnit? {
            var home: FoundUnit?
            if let homeUnit { home = try await tx.resolve.unit(homeUnit, field: "home_unit") }
            var resource = home?.id
            if resource == nil { resource = try await Access.rootUnit(tx: tx) }
            try await Access.require(caller, .manageAccount(highestRole: nil), unit: resource, tx: tx)
            if let role { try await Access.require(caller, .grant(role), unit: resource, tx: tx) }
            return home
        }
        // The policy first: a caller who may not create here spends no scrypt.
        _ = try await database.withTenant(province) { tx in try await check(tx) }
        var madeHash: PasswordHash?
        if let password { madeHash = try await PasswordHash.make(password: password, parameters: passwordParameters) }
        let hash = madeHash
        return try await database.withTenant(province) { tx in
            let home = try await check(tx)
            let rows: PostgresRows
            do {
                rows = try await tx.query(
                    """
                    INSERT INTO chitieu.account (province_id, username, display_name, home_unit_id)
                    VALUES (\(tx.provinceID), \(username), \(name), \(home?.id))
                    RETURNING \(sql: Self.columns)
                    """)
                let account = try Self.decode(rows[0])
                try await tx.query(
                    "INSERT INTO chitieu.login_name (username, province_id, account_id) VALUES (\(username), \(tx.provinceID), \(account.id))")
                if let hash { try await Self.storeCredential(hash, account: account, tx: tx) }
                try await AuditLog.record(
                    tx, actor: caller.actor, action: "account.create", entityType: "account", entityID: username, unitID: home?.id,
                    after: Self.auditJSON(account))
                if let role {
                    var unit = home
                    if unit == nil { unit = try await tx.resolve.unit(.id(try await Access.rootUnit(tx: tx)), field: "home_unit") }
                    _ = try await Self.addGrant(account: account, role: role, unit: unit!, validTo: nil, caller: caller, tx: tx)
                }
                return account
            } catch let error as PostgresError where error.isUniqueViolation {
                throw ChitieuError(.invalid, field: "username", .taken, ["value": .text(username), "rule": .text("usernames are unique in the deployment")])
            }
        }
    }

    static func storeCredential(_ hash: PasswordHash, account: Account, tx: TenantTransaction) async throws {
        try await tx.query(
            """
            INSERT INTO chitieu.credential (province_id, account_id, algorithm, parameters, salt, hash)
            VALUES (\(tx.provinceID), \(account.id), 'scrypt', \(hash.parametersJSON)::jsonb, \(Data(hash.salt)), \(Data(hash.hash)))
            ON CONFLICT (province_id, account_id) DO UPDATE
            SET algorithm = 'scrypt', parameters = excluded.parameters, salt = excluded.salt, hash = excluded.hash, updated_at = excluded.updated_at
            """, prepared: true)
    }

    /// An account by id, if the caller may manage it (404 otherwise, also for other provinces' ids).
    public func find(id: UUID, province: Int64, caller: Caller) async throws -> Account {
        try await database.withTenant(province) { tx in try await Self.manageable(id: id, caller: caller, tx: tx) }
    }

    /// The accounts the caller may manage, by username.
    public func list(province: Int64, caller: Caller) async throws -> [Account] {
        try await database.withTenant(province) { tx in
            let accounts = try await tx.query(
                "SELECT \(sql: Self.columns) FROM chitieu.account WHERE province_id = \(tx.provinceID) ORDER BY username"
            ).map(Self.decode)
            if caller.isOperator { return accounts }
            var visible: [Account] = []
            for account in accounts {
                do {
                    _ = try await Self.manageable(username: account.username, caller: caller, tx: tx)
                    visible.append(account)
                } catch is ChitieuError {}
            }
            return visible
        }
    }

    /// One account with its grants (revoked ones included), if the caller may manage it.
    public func show(province: Int64, username: String, caller: Caller) async throws -> (Account, [GrantRecord]) {
        try await database.withTenant(province) { tx in
            let account = try await Self.manageable(username: try Self.normalizedUsername(username), caller: caller, tx: tx)
            return (account, try await Self.grants(of: account.id, tx: tx))
        }
    }

    /// Enables or disables an account. A disabled account can neither log in nor use its tokens.
    public func setStatus(province: Int64, username: String, status: Account.Status, caller: Caller) async throws -> Account {
        try await database.withTokenChange(province, cache: cache) { tx in
            let before = try await Self.manageable(username: try Self.normalizedUsername(username), caller: caller, tx: tx)
            guard before.status != status else { return before }
            if status == .disabled && before.id == caller.actor.accountID {
                throw ChitieuError(.conflict, field: "id", reason: "an officer cannot disable their own account; another officer who manages it can")
            }
            let after = try Self.decode(try await tx.query(
                """
                UPDATE chitieu.account SET status = \(status.rawValue), updated_at = now()
                WHERE province_id = \(tx.provinceID) AND account_id = \(before.id) RETURNING \(sql: Self.columns)
                """)[0])
            // Disabling revokes every token, so enabling later does not bring a stolen one back.
            if status == .disabled {
                try await tx.query(
                    """
                    UPDATE chitieu.api_token SET revoked_at = now()
                    WHERE province_id = \(tx.provinceID) AND account_id = \(after.id) AND revoked_at IS NULL
                    """)
            }
            try await AuditLog.record(
                tx, actor: caller.actor, action: status == .active ? "account.enable" : "account.disable", entityType: "account",
                entityID: after.username, unitID: after.homeUnitID, before: Self.auditJSON(before), after: Self.auditJSON(after))
            return after
        }
    }

    /// Sets an account's password (the audit event records that it changed, never the password).
    /// Sets an account's password; its open sessions end (integration tokens stay).
    public func setPassword(province: Int64, username: String, password rawPassword: String, caller: Caller) async throws {
        let password = try Self.normalizedPassword(rawPassword)
        let name = try Self.normalizedUsername(username)
        _ = try await database.withTenant(province) { tx in try await Self.manageable(username: name, caller: caller, tx: tx) }
        let hash = try await PasswordHash.make(password: password, parameters: passwordParameters)
        try await database.withTokenChange(province, cache: cache) { tx in
            let account = try await Self.manageable(username: name, caller: caller, tx: tx)
            try await Self.storeCredential(hash, account: account, tx: tx)
            let ended = try await tx.query(
                """
                UPDATE chitieu.api_token SET revoked_at = now()
                WHERE province_id = \(tx.provinceID) AND account_id = \(account.id) AND kind = 'session' AND revoked_at IS NULL
                """).affectedRows
            try await AuditLog.record(
                tx, actor: caller.actor, action: "account.password", entityType: "account", entityID: account.username,
                unitID: account.homeUnitID, after: AuditLog.json(["sessions_ended": ended]))
        }
    }

    /// A new password to hand to an officer (an account's first, or after a reset): 14
    /// characters in three groups, from letters and digits that are not mistaken for each other.
    public static func temporaryPassword() throws -> String {
        let alphabet = Array("abcdefghjkmnpqrstuvwxyz23456789")
        // 248 is the largest multiple of 31 below 256: bytes above it are dropped, so every letter is as likely.
        var letters: [Character] = []
        while letters.count < 12 {
            for byte in try SecureRandom.bytes(16) where byte < 248 && letters.count < 12 { letters.append(alphabet[Int(byte) % alphabet.count]) }
        }
        return stride(from: 0, to: 12, by: 4).map { String(letters[$0..<$0 + 4]) }.joined(separator: "-")
    }

    /// Gives an account a new password made here (`temporaryPassword`), returned once to hand over;
    /// its sessions end, as with `setPassword`.
    public func resetPassword(province: Int64, username: String, caller: Caller) async throws -> String {
        let password = try Self.temporaryPassword()
        try await setPassword(province: province, username: username, password: password, caller: caller)
        return password
    }

    static let grantColumns: StaticString = """
        g.grant_id, g.account_id, a.username, g.role, g.unit_id, u.code AS unit_code, u.name AS unit_name,
        g.valid_from, g.valid_to, g.revoked_at, g.granted_at
        """

    static func decodeGrant(_ row: PostgresRow) throws -> GrantRecord {
        GrantRecord(
            id: try row.decode(Int64.self, "grant_id"), accountID: try row.decode(UUID.self, "account_id"),
            username: try row.decode(String.self, "username"), role: Role(rawValue: try row.decode(String.self, "role")) ?? .viewer,
            unitID: try row.decode(Int64.self, "unit_id"), unitCode: try row.decode(String.self, "unit_code"),
            unitName: try row.decode(String.self, "unit_name"), validFrom: try row.decode(PostgresDate.self, "valid_from"),
            validTo: try row.decode(PostgresDate?.self, "valid_to"), revokedAt: try row.decode(Date?.self, "revoked_at"),
            grantedAt: try row.decode(Date.self, "granted_at"))
    }

    static func grants(of accountID: UUID, tx: TenantTransaction) async throws -> [GrantRecord] {
        try await tx.query(
            """
            SELECT \(sql: grantColumns) FROM chitieu.role_grant g
            JOIN chitieu.account a ON a.province_id = g.province_id AND a.account_id = g.account_id
            JOIN chitieu.admin_unit u ON u.province_id = g.province_id AND u.unit_id = g.unit_id
            WHERE g.province_id = \(tx.provinceID) AND g.account_id = \(accountID)
            ORDER BY g.granted_at, g.grant_id
            """
        ).map(Self.decodeGrant)
    }

    static func grantJSON(_ g: GrantRecord) -> String {
        AuditLog.json([
            "grant_id": g.id, "username": g.username, "role": g.role.rawValue, "unit_id": g.unitID, "unit_code": g.unitCode,
            "valid_from": g.validFrom.description, "valid_to": g.validTo.map { $0.description as any Sendable } ?? NSNull(),
            "revoked": g.revokedAt != nil,
        ])
    }

    /// Gives an account a role at a unit, until `validTo` (inclusive) or indefinitely. The role must
    /// match the unit's level (a viewer may be anywhere); the caller may give only roles the
    /// policy lets it give there.
    public func grant(
        province: Int64, username: String, role: Role, unit reference: UnitReference, validTo: PostgresDate? = nil, caller: Caller
    ) async throws -> GrantRecord {
        try await database.withTokenChange(province, cache: cache) { tx in
            let account = try await Self.manageable(username: try Self.normalizedUsername(username), caller: caller, tx: tx)
            return try await Self.addGrant(account: account, role: role, unit: try await tx.resolve.unit(reference, field: "unit"), validTo: validTo, caller: caller, tx: tx)
        }
    }

    /// Gives a role at a unit to an account the caller manages, with its audit event.
    static func addGrant(
        account: Account, role: Role, unit: FoundUnit, validTo: PostgresDate?, caller: Caller, tx: TenantTransaction
    ) async throws -> GrantRecord {
        try await Access.require(caller, .grant(role), unit: unit.id, tx: tx)
        if let level = role.level, level != unit.level {
            throw ChitieuError(
                .invalid, field: "role", .roleLevel,
                ["role": .words(en: role.rawValue, vi: role.vietnamese), "level": .words(en: level.rawValue, vi: level.vietnamese),
                 "unitLevel": .words(en: unit.level.rawValue, vi: unit.level.vietnamese)])
        }
        if let validTo {
            let today = try await tx.query("SELECT current_date")[0].decode(PostgresDate.self, at: 0)
            if validTo < today { throw ChitieuError.inThePast("valid_to", CalendarDate(validTo)) }
        }
        let existing = try await tx.query(
            """
            SELECT 1 FROM chitieu.role_grant WHERE province_id = \(tx.provinceID) AND account_id = \(account.id)
              AND role = \(role.rawValue) AND unit_id = \(unit.id) AND revoked_at IS NULL
              AND (valid_to IS NULL OR valid_to >= current_date)
            """)
        if !existing.isEmpty {
            throw ChitieuError(
                .invalid, field: "role", .roleHeld, ["username": .text(account.username), "role": .words(en: role.rawValue, vi: role.vietnamese)])
        }
        let id = try await tx.query(
            """
            INSERT INTO chitieu.role_grant (province_id, account_id, unit_id, role, valid_to, granted_by)
            VALUES (\(tx.provinceID), \(account.id), \(unit.id), \(role.rawValue), \(validTo), \(caller.actor.accountID))
            RETURNING grant_id
            """)[0].decode(Int64.self, at: 0)
        let record = try await Self.grants(of: account.id, tx: tx).first { $0.id == id }!
        try await AuditLog.record(
            tx, actor: caller.actor, action: "grant.add", entityType: "grant", entityID: String(id), unitID: unit.id,
            after: Self.grantJSON(record))
        return record
    }

    /// Withdraws a grant; it stays on record, marked revoked.
    public func revoke(province: Int64, grantID: Int64, caller: Caller) async throws -> GrantRecord {
        try await database.withTokenChange(province, cache: cache) { tx in
            let rows = try await tx.query(
                """
                SELECT \(sql: Self.grantColumns) FROM chitieu.role_grant g
                JOIN chitieu.account a ON a.province_id = g.province_id AND a.account_id = g.account_id
                JOIN chitieu.admin_unit u ON u.province_id = g.province_id AND u.unit_id = g.unit_id
                WHERE g.province_id = \(tx.provinceID) AND g.grant_id = \(grantID)
                """)
            guard let before = try rows.first.map(Self.decodeGrant) else { throw ChitieuError.notFound("the grant") }
            _ = try await Self.manageable(username: before.username, caller: caller, tx: tx)
            try await Access.require(caller, .grant(before.role), unit: before.unitID, what: "the grant", tx: tx)
            guard before.revokedAt == nil else { return before }
            if before.accountID == caller.actor.accountID {
                throw ChitieuError(.conflict, field: "id", reason: "an officer cannot revoke their own role; another officer who manages the account can")
            }
            try await tx.query(
                """
                UPDATE chitieu.role_grant SET revoked_at = now(), revoked_by = \(caller.actor.accountID)
                WHERE province_id = \(tx.provinceID) AND grant_id = \(grantID)
                """)
            let after = try await Self.grants(of: before.accountID, tx: tx).first { $0.id == grantID }!
            try await AuditLog.record(
                tx, actor: caller.actor, action: "grant.revoke", entityType: "grant", entityID: String(grantID), unitID: before.unitID,
                before: Self.grantJSON(before), after: Self.grantJSON(after))
            return after
        }
    }
}

extension FoundUnit {
    static let columns: StaticString = "unit_id, level, code, name, valid_from, valid_to, coalesce(valid_to < current_date, false) AS ended"

    init(_ row: PostgresRow) throws {
        self.init(
            id: try row.decode(Int64.self, at: 0), level: UnitLevel(rawValue: try row.decode(String.self, at: 1)) ?? .commune,
            code: try row.decode(String.self, at: 2), name: try row.decode(String.self, at: 3), validFrom: try row.decode(CalendarDate.self, at: 4),
            validTo: try row.decode(CalendarDate?.self, at: 5), ended: try row.decode(Bool.self, at: 6))
    }
}
