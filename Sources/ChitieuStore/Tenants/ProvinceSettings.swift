import ChitieuDomain
import Postgres

/// How a province runs its planning: settings an officer of the province changes.
public struct ProvinceSettings: Sendable, Hashable {
    /// District officers set their communes' targets and allocation rules (off: the province
    /// plans every level).
    public var districtAllocation: Bool

    /// Settings from values.
    public init(districtAllocation: Bool) {
        self.districtAllocation = districtAllocation
    }
}

/// Reads and changes a province's settings. A change alters what the province's tokens may do,
/// so it is announced to every daemon's token cache.
public struct ProvinceSettingsStore: Sendable {
    let database: ChitieuDatabase
    let cache: TokenCache?

    /// Uses a database, and this daemon's token cache if it keeps one.
    public init(database: ChitieuDatabase, cache: TokenCache? = nil) {
        self.database = database
        self.cache = cache
    }

    static func read(tx: TenantTransaction, lock: Bool = false) async throws -> ProvinceSettings {
        let forUpdate: StaticString = lock ? "FOR UPDATE" : ""
        let rows = try await tx.query(
            "SELECT district_allocation FROM chitieu.province WHERE province_id = \(tx.provinceID) \(sql: forUpdate)")
        guard let row = rows.first else { throw ChitieuError.notFound("the province") }
        return ProvinceSettings(districtAllocation: try row.decode(Bool.self, "district_allocation"))
    }

    /// The settings, for anyone of the province.
    public func settings(province: Int64, caller: Caller) async throws -> ProvinceSettings {
        try await database.withTenant(province) { tx in
            try await Access.require(caller, .read, tx: tx)
            return try await Self.read(tx: tx)
        }
    }

    /// Lets district officers plan their communes, or stops it (province planners only); audited.
    public func setDistrictAllocation(province: Int64, enabled: Bool, caller: Caller) async throws -> ProvinceSettings {
        try await database.withTokenChange(province, cache: cache) { tx in
            try await Access.require(caller, .planAllocation, what: "the province", tx: tx)
            let before = try await Self.read(tx: tx, lock: true)
            try await tx.query("UPDATE chitieu.province SET district_allocation = \(enabled) WHERE province_id = \(tx.provinceID)")
            try await AuditLog.record(
                tx, actor: caller.actor, action: "province.district_allocation", entityType: "province", entityID: String(province),
                before: AuditLog.json(["district_allocation": before.districtAllocation]), after: AuditLog.json(["district_allocation": enabled]))
            return ProvinceSettings(districtAllocation: enabled)
        }
    }
}
