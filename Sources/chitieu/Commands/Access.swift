import ArgumentParser
import ChitieuCommandSupport
import ChitieuDomain
import ChitieuServer
import ChitieuStore
import Foundation
import Postgres

/// Reads a secret from standard input: all of it, without the final line break.
func readSecretFromStandardInput(field: String) throws -> String {
    let data = FileHandle.standardInput.readDataToEndOfFile()
    guard var text = String(data: data, encoding: .utf8) else {
        throw ChitieuError(.invalid, field: field, reason: "standard input is not valid UTF-8")
    }
    if text.hasSuffix("\r\n") { text.removeLast(1) } else if text.hasSuffix("\n") { text.removeLast() }
    guard !text.isEmpty else { throw ChitieuError(.invalid, field: field, reason: "nothing was read from standard input") }
    guard !text.utf8.contains(0) else { throw ChitieuError(.invalid, field: field, reason: "contains a NUL character") }
    return text
}

/// Parses a lifetime: `90d`, `12h`, `30m`, or `never`.
func parseLifetime(_ text: String, option: String) throws -> Int? {
    if text == "never" { return nil }
    guard let unit = text.last, let number = Int(text.dropLast()), number > 0, number <= 100_000 else {
        throw ValidationError("\(option): '\(text)' is not a lifetime such as 90d, 12h, 30m or never")
    }
    switch unit {
    case "d": return number * 86_400
    case "h": return number * 3_600
    case "m": return number * 60
    default: throw ValidationError("\(option): '\(text)' is not a lifetime such as 90d, 12h, 30m or never")
    }
}

/// RFC 3339 text of a time (UTC), or "" for none.
func timestamp(_ date: Date?) -> String { date.map { $0.formatted(.iso8601) } ?? "" }



/// `chitieu account …`.
struct AccountCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "account", abstract: "Manage the accounts of a province.",
        subcommands: [Create.self, List.self, Show.self, Disable.self, Enable.self, Password.self])

    struct Create: OperatorCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create an account (username unique in the deployment).",
            discussion: "With --password-stdin the password (10 characters or more) is read from standard input; without it the account can only use issued tokens.")
        @OptionGroup var options: ProvinceActing
        @Option(help: "Username: 2 to 63 characters of a-z, 0-9, '.', '_', '-'.") var username: String
        @Option(help: "Display name, e.g. \"Nguyễn Thị Hoà\".") var name: String
        @Option(help: "GSO code of the unit the account belongs to (default: the province).") var unit: String?
        @Flag(help: "Read the password from standard input.") var passwordStdin = false
        @Flag(help: "Print JSON.") var json = false

        func perform() async throws {
            let password = passwordStdin ? try readSecretFromStandardInput(field: "password") : nil
            let account = try await options.run("account create") { db, tenant, caller in
                try await AccountStore(database: db).create(
                    province: tenant.id, username: username, displayName: name, homeUnit: unit.map(UnitReference.code), password: password,
                    caller: caller)
            }
            Output.print(json: json, Representation.account(account), else: "Created account \(account.username) (\(account.displayName)).")
        }
    }

    struct List: OperatorCommand {
        static let configuration = CommandConfiguration(abstract: "List the accounts (those the caller may manage).")
        @OptionGroup var options: ProvinceActing
        @OptionGroup var output: OutputOptions

        func perform() async throws {
            try await options.list(
                "account list", output, columns: ["username", "name", "status", "home unit", "created"],
                row: { [$0.username, $0.displayName, $0.status.rawValue, $0.homeUnitID.map(String.init) ?? "province", timestamp($0.createdAt)] },
                json: Representation.account
            ) { db, tenant, caller in try await AccountStore(database: db).list(province: tenant.id, caller: caller) }
        }
    }

    struct Show: OperatorCommand {
        static let configuration = CommandConfiguration(abstract: "Show an account and its grants.")
        @OptionGroup var options: ProvinceActing
        @Argument(help: "Username.") var username: String
        @Flag(help: "Print JSON.") var json = false

        func perform() async throws {
            let (account, grants) = try await options.run("account show") { db, tenant, caller in
                try await AccountStore(database: db).show(province: tenant.id, username: username, caller: caller)
            }
            if json {
                var object = Representation.account(account)
                object["grants"] = grants.map(Representation.grant)
                print(Output.json(object))
            } else {
                print("\(account.username)  \(account.displayName)  \(account.status.rawValue)")
                print(Output.table(
                    columns: ["grant", "role", "unit", "name", "valid to", "revoked"],
                    rows: grants.map { [String($0.id), $0.role.rawValue, $0.unitCode, $0.unitName, $0.validTo?.description ?? "", timestamp($0.revokedAt)] }))
            }
        }
    }

    struct Disable: OperatorCommand {
        static let configuration = CommandConfiguration(abstract: "Disable an account: it can no longer log in or use its tokens.")
        @OptionGroup var options: ProvinceActing
        @Argument(help: "Username.") var username: String

        func perform() async throws { try await AccountCommand.set(.disabled, "account disable", username: username, options: options) }
    }

    struct Enable: OperatorCommand {
        static let configuration = CommandConfiguration(abstract: "Enable a disabled account.")
        @OptionGroup var options: ProvinceActing
        @Argument(help: "Username.") var username: String

        func perform() async throws { try await AccountCommand.set(.active, "account enable", username: username, options: options) }
    }

    /// Sets an account's status as the caller of `command`, then says it.
    static func set(_ status: Account.Status, _ command: String, username: String, options: ProvinceActing) async throws {
        let account = try await options.run(command) { db, tenant, caller in
            try await AccountStore(database: db).setStatus(province: tenant.id, username: username, status: status, caller: caller)
        }
        print("Account \(account.username) is \(status == .disabled ? "disabled" : "active").")
    }

    struct Password: OperatorCommand {
        static let configuration = CommandConfiguration(abstract: "Set an account's password, read from standard input.")
        @OptionGroup var options: ProvinceActing
        @Argument(help: "Username.") var username: String

        func perform() async throws {
            let password = try readSecretFromStandardInput(field: "password")
            try await options.run("account password") { db, tenant, caller in
                try await AccountStore(database: db).setPassword(
                    province: tenant.id, username: username, password: password, caller: caller)
            }
            print("Password of \(username) changed.")
        }
    }
}

/// `chitieu grant …`.
struct GrantCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "grant", abstract: "Give and withdraw roles at units.", subcommands: [Add.self, Revoke.self, List.self, GrantSuccessors.self, GrantConfirm.self])

    struct Add: OperatorCommand {
        static let configuration = CommandConfiguration(
            abstract: "Give an account a role at a unit; it reaches the unit's whole subtree.",
            discussion: "Roles: province (at the province unit), district (at a district), commune (at a commune), viewer (anywhere, read only).")
        @OptionGroup var options: ProvinceActing
        @Option(help: "Username.") var account: String
        @Option(help: "province, district, commune or viewer.") var role: String
        @Option(help: "GSO code of the unit (default: the province).") var unit: String?
        @Option(help: "Last day of validity (YYYY-MM-DD; default: none).") var until: String?
        @Flag(help: "Print JSON.") var json = false

        func validate() throws {
            if Role(rawValue: role) == nil { throw ValidationError("--role: '\(role)' is not one of province, district, commune, viewer") }
        }

        func perform() async throws {
            let validTo = try until.map { try parseDate($0, option: "--until") }
            let grant = try await options.run("grant add") { db, tenant, caller in
                let reference = UnitReference.code(unit ?? tenant.code)
                return try await AccountStore(database: db).grant(
                    province: tenant.id, username: account, role: Role(rawValue: role)!, unit: reference, validTo: validTo,
                    caller: caller)
            }
            Output.print(json: json, Representation.grant(grant), else: "Grant \(grant.id): \(grant.username) is \(grant.role.rawValue) at \(grant.unitCode) \(grant.unitName).")
        }
    }

    struct Revoke: OperatorCommand {
        static let configuration = CommandConfiguration(abstract: "Withdraw a grant (it stays on record, marked revoked).")
        @OptionGroup var options: ProvinceActing
        @Argument(help: "Grant id (see grant list).") var id: Int64

        func perform() async throws {
            let grant = try await options.run("grant revoke") { db, tenant, caller in
                try await AccountStore(database: db).revoke(province: tenant.id, grantID: id, caller: caller)
            }
            print("Grant \(grant.id) (\(grant.username), \(grant.role.rawValue) at \(grant.unitCode)) is revoked.")
        }
    }

    struct List: OperatorCommand {
        static let configuration = CommandConfiguration(abstract: "List an account's grants.")
        @OptionGroup var options: ProvinceActing
        @Option(help: "Username.") var account: String
        @OptionGroup var output: OutputOptions

        func perform() async throws {
            let (_, grants) = try await options.run("grant list") { db, tenant, caller in
                try await AccountStore(database: db).show(province: tenant.id, username: account, caller: caller)
            }
            Output.print(
                output.format, columns: ["grant", "role", "unit", "name", "valid from", "valid to", "revoked"],
                rows: grants.map { [String($0.id), $0.role.rawValue, $0.unitCode, $0.unitName, $0.validFrom.description, $0.validTo?.description ?? "", timestamp($0.revokedAt)] },
                jsonRows: grants.map(Representation.grant))
        }
    }
}

/// `chitieu token …`.
struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token", abstract: "Issue, list and revoke bearer tokens for integrations.", subcommands: [Issue.self, List.self, Revoke.self])

    struct Issue: OperatorCommand {
        static let configuration = CommandConfiguration(
            abstract: "Issue a token for an account. It is printed once; only its SHA-256 is stored.")
        @OptionGroup var options: ProvinceActing
        @Option(name: .customLong("account"), help: "Username.") var account: String
        @Option(help: "Lifetime: 90d, 12h, 30m or never (default 90d).") var expires = "90d"
        @Option(help: "What it is for, e.g. \"Bảng tính báo cáo huyện\".") var name: String?
        @Flag(help: "Print JSON.") var json = false

        func validate() throws { _ = try parseLifetime(expires, option: "--expires") }

        func perform() async throws {
            let lifetime = try parseLifetime(expires, option: "--expires")
            let token = try await options.run("token issue") { db, tenant, caller in
                try await Authenticator(database: db).issue(
                    province: tenant.id, username: account, name: name, lifetimeSeconds: lifetime, caller: caller)
            }
            if json {
                print(Output.json([
                    "token": token.secret, "id": token.id.uuidString.lowercased(), "username": token.account.username,
                    "expires_at": token.expiresAt.map(timestamp) ?? NSNull(),
                ]))
            } else {
                print(token.secret)
                Output.note("Token \(token.id.uuidString.lowercased()) for \(token.account.username), expires \(token.expiresAt.map(timestamp) ?? "never"). It is shown only now.")
            }
        }
    }

    struct List: OperatorCommand {
        static let configuration = CommandConfiguration(abstract: "List tokens (never their secrets).")
        @OptionGroup var options: ProvinceActing
        @Option(name: .customLong("account"), help: "Only this account's tokens.") var account: String?
        @OptionGroup var output: OutputOptions

        func perform() async throws {
            try await options.list(
                "token list", output, columns: ["id", "account", "kind", "name", "created", "expires", "revoked", "last used"],
                row: {
                    [$0.id.uuidString.lowercased(), $0.username, $0.kind, $0.name ?? "", timestamp($0.createdAt), timestamp($0.expiresAt), timestamp($0.revokedAt), timestamp($0.lastUsedAt)]
                },
                json: Representation.token
            ) { db, tenant, caller in try await Authenticator(database: db).tokens(province: tenant.id, username: account, caller: caller) }
        }
    }

    struct Revoke: OperatorCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a token by its id.")
        @OptionGroup var options: ProvinceActing
        @Argument(help: "Token id (see token list).") var id: String

        func perform() async throws {
            guard let tokenID = UUID(uuidString: id) else { throw ChitieuError(.invalid, field: "id", reason: "'\(id.prefix(80))' is not a token id (a UUID)") }
            let token = try await options.run("token revoke") { db, tenant, caller in
                try await Authenticator(database: db).revoke(province: tenant.id, tokenID: tokenID, caller: caller)
            }
            print("Token \(token.id.uuidString.lowercased()) of \(token.username) is revoked.")
        }
    }
}

/// `chitieu reporting login …`.
struct ReportingCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reporting", abstract: "PostgreSQL logins for reporting tools (psql, Excel, Metabase, Grafana, pandas).",
        subcommands: [Login.self])

    struct Login: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create, list and drop reporting logins.", subcommands: [Create.self, List.self, Drop.self])

        struct Create: OperatorCommand {
            static let configuration = CommandConfiguration(
                abstract: "Create a login that reads one province through the reporting views (password from standard input).",
                discussion: "The login is a member of the province's group role and of chitieu_reporting; it reads only the province's rows, whatever it sets in its session, and never writes.")
            @OptionGroup var options: ProvinceWork
            @Option(help: "Login name, e.g. baocao_laocai.") var login: String

            func perform() async throws {
                let password = try readSecretFromStandardInput(field: "password")
                let created = try await options.run { db, tenant in
                    try await ReportingLogins(database: db).create(province: tenant, login: login, password: password)
                }
                print("Created reporting login \(created.login) for province \(options.province.province); it reads the reporting schema.")
            }
        }

        struct List: OperatorCommand {
            static let configuration = CommandConfiguration(abstract: "List the reporting logins and the provinces they read.")
            @OptionGroup var database: DatabaseOptions
            @OptionGroup var output: OutputOptions

            func perform() async throws {
                let (logins, provinces) = try await withAdminDatabase(database) { db in
                    (try await ReportingLogins(database: db).list(), try await TenantStore(database: db).list())
                }
                let names = Dictionary(provinces.map { ($0.id, "\($0.code) \($0.name)") }, uniquingKeysWith: { a, _ in a })
                Output.print(
                    output.format, columns: ["login", "provinces", "connection limit"],
                    rows: logins.map { [$0.login, $0.provinceIDs.map { names[$0] ?? "id \($0)" }.joined(separator: ", "), String($0.connectionLimit)] },
                    jsonRows: logins.map { ["login": $0.login, "province_ids": $0.provinceIDs, "connection_limit": $0.connectionLimit] })
            }
        }

        struct Drop: OperatorCommand {
            static let configuration = CommandConfiguration(abstract: "Drop a reporting login.")
            @OptionGroup var database: DatabaseOptions
            @Argument(help: "Login name.") var login: String

            func perform() async throws {
                try await withAdminDatabase(database) { db in try await ReportingLogins(database: db).drop(login: login) }
                print("Dropped reporting login \(login).")
            }
        }
    }
}

/// `chitieu audit list`.
struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit", abstract: "Read the audit log of a province.", subcommands: [List.self])

    struct List: OperatorCommand {
        static let configuration = CommandConfiguration(abstract: "List audit events, newest first.")
        @OptionGroup var options: ProvinceActing
        @Option(help: "Only this kind of entity: account, grant, token, indicator, target, allocation_rule, result…") var entity: String?
        @Option(help: "Only events at or after this time (YYYY-MM-DD or RFC 3339).") var since: String?
        @Option(help: "At most this many events (1-1000).") var limit = 100
        @OptionGroup var output: OutputOptions

        func perform() async throws {
            var sinceDate: Date?
            if let since {
                if let d = try? Date(since, strategy: .iso8601) { sinceDate = d } else {
                    let day = try parseDate(since, option: "--since")
                    sinceDate = try? Date("\(day)T00:00:00+07:00", strategy: .iso8601)
                }
            }
            let filter = AuditStore.Filter(entityType: entity, since: sinceDate, limit: limit)
            try await options.list(
                "audit list", output, columns: ["id", "at", "actor", "via", "action", "entity", "summary", "after"],
                row: {
                    [String($0.id), timestamp($0.at), $0.actorLabel, $0.via, $0.action, "\($0.entityType) \($0.entityID ?? "")",
                     $0.summary(in: .vi), $0.after ?? ""]
                },
                json: { Representation.auditEvent($0) }
            ) { db, tenant, caller in try await AuditStore(database: db).list(province: tenant.id, filter: filter, caller: caller) }
        }
    }
}

