public import ChitieuDomain
import Foundation
import Postgres

/// Who calls, for the policy (`principal`) and for the audit trail (`actor`).
public struct Caller: Sendable {
    /// What the policy sees.
    public var principal: Principal
    /// What the audit log records.
    public var actor: Actor
    /// The account, unless the operator acts.
    public var account: Account?

    /// A caller.
    public init(principal: Principal, actor: Actor, account: Account?) {
        self.principal = principal
        self.actor = actor
        self.account = account
    }

    /// The operator running an admin command, with direct database access.
    public static func command(_ name: String) -> Caller {
        Caller(principal: .operator, actor: .command(name), account: nil)
    }

    /// A job acting for the system.
    public static func job(_ id: Int64) -> Caller {
        Caller(principal: .operator, actor: .job(id), account: nil)
    }

    /// Whether the operator acts.
    public var isOperator: Bool { principal.kind == .operator }
}

/// Applies the policy inside a tenant transaction: resolves the resource's unit path from the
/// database, then asks `Policy.decide`.
public enum Access {
    /// The unit ids from the province's root down to `unitID`, or nil when the province has no
    /// such unit.
    public static func unitPath(_ unitID: Int64, tx: TenantTransaction) async throws -> [Int64]? {
        let rows = try await tx.query("SELECT chitieu.unit_path(\(tx.provinceID), \(unitID))", prepared: true)
        let path = try rows.first?.decode([Int64]?.self, at: 0) ?? nil
        return path?.isEmpty == false ? path : nil
    }

    /// The province's own unit (the root of its tree), current today.
    public static func rootUnit(tx: TenantTransaction) async throws -> Int64 {
        let rows = try await tx.query(
            """
            SELECT unit_id FROM chitieu.admin_unit
            WHERE province_id = \(tx.provinceID) AND level = 'province' AND (valid_to IS NULL OR valid_to >= current_date)
            ORDER BY valid_from DESC LIMIT 1
            """, prepared: true)
        guard let id = try rows.first?.decode(Int64.self, at: 0) else {
            throw ChitieuError(.invalid, field: "province", reason: "the province has no province-level unit; import its units first")
        }
        return id
    }

    /// Throws unless `caller` may do `action` on the province as a whole (`unitID` nil) or on
    /// the unit `unitID` of the transaction's province. `what` names the thing for the 404.
    public static func require(
        _ caller: Caller, _ action: Action, unit unitID: Int64? = nil, what: String = "the unit", tx: TenantTransaction
    ) async throws {
        let resource: Resource
        if let unitID {
            guard let path = try await unitPath(unitID, tx: tx) else { throw ChitieuError.notFound(what) }
            resource = .unit(tx.provinceID, path: path)
        } else {
            resource = .province(tx.provinceID)
        }
        try check(Policy.decide(caller.principal, action, resource), action: action, what: what)
    }

    /// Turns a decision into a thrown error.
    public static func check(_ decision: Decision, action: Action, what: String) throws {
        switch decision {
        case .allow: return
        case .notFound: throw ChitieuError.notFound(what)
        case .forbidden: throw ChitieuError(.forbidden, "your roles do not allow \(describe(action)) here")
        }
    }

    /// The units at the top of what a listing shows: `unitID` when given (which the caller must
    /// be allowed to read), else the province's unit for the operator, else the caller's grant units.
    public static func scopeRoots(_ caller: Caller, unit unitID: Int64?, tx: TenantTransaction) async throws -> [Int64] {
        if let unitID {
            try await require(caller, .read, unit: unitID, tx: tx)
            return [unitID]
        }
        if caller.isOperator { return [try await rootUnit(tx: tx)] }
        return caller.principal.grants.map(\.unitID)
    }

    /// The units under `roots` (themselves included) to `depth` levels down, a merged province's
    /// predecessors' own units counting as its children: ids with their depth below the nearest
    /// root. Read in a statement of its own: on Citus a function that reads tenant tables,
    /// called inside a query routed to one worker, would read an empty placeholder there
    /// (Deploy/citus/README.md); the query then takes the ids as an array
    /// (`unnest(ids, depths) AS s(unit_id, depth)`).
    public static func scope(_ roots: [Int64], depth: Int = 10, tx: TenantTransaction) async throws -> (ids: [Int64], depths: [Int32]) {
        let row = try await tx.query(
            """
            SELECT coalesce(array_agg(s.unit_id ORDER BY s.unit_id), '{}') AS ids, coalesce(array_agg(s.depth ORDER BY s.unit_id), '{}') AS depths
            FROM chitieu.unit_scope(\(tx.provinceID), \(roots)::bigint[], \(depth)::int) s
            """, prepared: true)[0]
        return (try row.decode([Int64].self, "ids"), try row.decode([Int32].self, "depths"))
    }

    /// Whether `caller` may read the unit (without throwing), for filtering lists.
    public static func canRead(_ caller: Caller, path: [Int64], provinceID: Int64) -> Bool {
        Policy.decide(caller.principal, .read, .unit(provinceID, path: path)) == .allow
    }

    static func describe(_ action: Action) -> String {
        switch action {
        case .read: "reading"
        case .manageIndicators: "managing indicators"
        case .setTarget: "setting targets"
        case .planAllocation: "planning the allocation"
        case .submitResult: "submitting results"
        case .decideResult: "approving or returning results"
        case .manageAccount: "managing this account"
        case .grant(let role): "giving or withdrawing the \(role.rawValue) role"
        case .readAudit: "reading the audit log"
        case .manageJobs: "managing jobs"
        }
    }

    /// The principal of an account: its grants in force today and its province's settings.
    static func principal(of account: Account, tx: TenantTransaction) async throws -> Principal {
        let grants = try await tx.query(
            """
            SELECT role, unit_id FROM chitieu.role_grant
            WHERE province_id = \(tx.provinceID) AND account_id = \(account.id) AND revoked_at IS NULL
              AND valid_from <= current_date AND (valid_to IS NULL OR valid_to >= current_date)
            """, prepared: true
        ).map { row in
            RoleAssignment(role: Role(rawValue: try row.decode(String.self, at: 0)) ?? .viewer, unitID: try row.decode(Int64.self, at: 1))
        }
        let setting = try await tx.query(
            "SELECT district_allocation FROM chitieu.province WHERE province_id = \(tx.provinceID)", prepared: true)
        let districtAllocation = try setting.first?.decode(Bool.self, at: 0) ?? false
        return Principal(provinceID: tx.provinceID, grants: grants, districtAllocation: districtAllocation)
    }

    /// The caller for an admin command run `--as` an account of the transaction's province.
    public static func caller(asUsername username: String, command: String, tx: TenantTransaction) async throws -> Caller {
        guard let account = try await AccountStore.find(username: username, tx: tx) else {
            throw ChitieuError(.invalid, field: "--as", reason: "the province has no account '\(username)'")
        }
        guard account.status == .active else { throw ChitieuError(.invalid, field: "--as", reason: "the account '\(username)' is disabled") }
        return Caller(
            principal: try await principal(of: account, tx: tx),
            actor: Actor(accountID: account.id, label: account.username, via: .cli), account: account)
    }
}
