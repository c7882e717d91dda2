/// A role an account holds at an administrative unit. It reaches the unit's whole subtree.
public enum Role: String, Sendable, Hashable, CaseIterable, Codable, Comparable {
    case viewer, commune, district, province

    /// The level of unit the role is held at; a viewer may be held at any level.
    public var level: UnitLevel? {
        switch self {
        case .province: .province
        case .district: .district
        case .commune: .commune
        case .viewer: nil
        }
    }

    /// Ordered by power: viewer < commune < district < province.
    public static func < (a: Role, b: Role) -> Bool { a.rank < b.rank }

    private var rank: Int {
        switch self {
        case .viewer: 0
        case .commune: 1
        case .district: 2
        case .province: 3
        }
    }
}

/// A role held at a unit.
public struct RoleAssignment: Sendable, Hashable {
    /// The role.
    public var role: Role
    /// The unit it is held at (its subtree is the scope).
    public var unitID: Int64

    /// A role at a unit.
    public init(role: Role, unitID: Int64) {
        self.role = role
        self.unitID = unitID
    }
}

/// Who asks: the deployment's operator (an admin command without `--as`), or an account of a
/// province with its current grants.
public struct Principal: Sendable, Hashable {
    /// The kinds of principal.
    public enum Kind: Sendable, Hashable {
        /// The operator, acting with direct database access.
        case `operator`
        /// An account of a province.
        case account(provinceID: Int64)
    }

    /// Operator or account.
    public var kind: Kind
    /// The grants in force (empty for the operator, who needs none).
    public var grants: [RoleAssignment]
    /// Whether the account's province lets district officers plan their communes' targets.
    public var districtAllocation: Bool

    /// An account of `provinceID` with these grants.
    public init(provinceID: Int64, grants: [RoleAssignment], districtAllocation: Bool = false) {
        self.kind = .account(provinceID: provinceID)
        self.grants = grants
        self.districtAllocation = districtAllocation
    }

    private init(kind: Kind) {
        self.kind = kind
        self.grants = []
        self.districtAllocation = true
    }

    /// The operator.
    public static let `operator` = Principal(kind: .operator)
}

/// What a principal wants to do.
public enum Action: Sendable, Hashable {
    /// Read units, indicators, targets, results and progress.
    case read
    /// Add, change, suspend or resume indicators.
    case manageIndicators
    /// Set a target value at a unit (a phase target, a yearly target or an override).
    case setTarget
    /// Set the allocation rule of a unit (how its target is split among its children) or run
    /// the allocation below it.
    case planAllocation
    /// Create, edit or submit a result for a unit.
    case submitResult
    /// Approve or return a result of a unit below one's own.
    case decideResult
    /// Create an account at a unit, disable or enable it, reset its password, issue or revoke
    /// its tokens. `highestRole` is the strongest role the account holds (nil: none).
    case manageAccount(highestRole: Role?)
    /// Give or withdraw a role at a unit.
    case grant(Role)
    /// Read the audit log.
    case readAudit
    /// Read and operate the province's jobs.
    case manageJobs

    /// Every action, for tests and documentation.
    public static let all: [Action] =
        [.read, .manageIndicators, .setTarget, .planAllocation, .submitResult, .decideResult, .readAudit, .manageJobs]
        + ([nil] + Role.allCases).map { Action.manageAccount(highestRole: $0) } + Role.allCases.map { Action.grant($0) }
}

/// What an action is about: something of a province, either of the province as a whole (the
/// indicator catalogue, phases) or of one unit, given by its path from the province unit down.
public struct Resource: Sendable, Hashable {
    /// The province the resource belongs to.
    public var provinceID: Int64
    /// Unit ids from the province's root down to the unit itself; nil for province-wide things.
    public var unitPath: [Int64]?

    /// Something of the province as a whole.
    public static func province(_ provinceID: Int64) -> Resource { Resource(provinceID: provinceID, unitPath: nil) }

    /// Something of the unit at the end of `path` (root first).
    public static func unit(_ provinceID: Int64, path: [Int64]) -> Resource { Resource(provinceID: provinceID, unitPath: path) }
}

/// The answer to a request.
public enum Decision: Sendable, Hashable {
    /// Go ahead.
    case allow
    /// The principal may see the resource but not do this (HTTP 403).
    case forbidden
    /// The resource is outside the principal's province or scope; answered as if it did not
    /// exist (HTTP 404).
    case notFound
}

/// The one policy: decides every action of every principal, for the API, admin commands and
/// jobs alike. Pure: everything it needs is in its arguments.
public enum Policy {
    /// Decides `action` on `resource` for `principal`.
    public static func decide(_ principal: Principal, _ action: Action, _ resource: Resource) -> Decision {
        guard case .account(let provinceID) = principal.kind else { return .allow }
        guard provinceID == resource.provinceID else { return .notFound }
        let visible = principal.grants.contains { covers($0, resource) }
        guard visible else { return .notFound }
        let allowed = principal.grants.contains { permits($0, action, resource, districtAllocation: principal.districtAllocation) }
        return allowed ? .allow : .forbidden
    }

    /// Whether a grant's scope includes the resource (province-wide things are seen by every
    /// grant of the province).
    static func covers(_ grant: RoleAssignment, _ resource: Resource) -> Bool {
        guard let path = resource.unitPath else { return true }
        return path.contains(grant.unitID)
    }

    /// Whether the resource's unit is strictly below the grant's unit.
    static func below(_ grant: RoleAssignment, _ resource: Resource) -> Bool {
        guard let path = resource.unitPath, let index = path.firstIndex(of: grant.unitID) else { return false }
        return index < path.count - 1
    }

    static func permits(_ grant: RoleAssignment, _ action: Action, _ resource: Resource, districtAllocation: Bool) -> Bool {
        guard covers(grant, resource) else { return false }
        let provinceWide = resource.unitPath == nil
        switch (action, grant.role) {
        case (.read, _):
            return true
        case (.manageIndicators, .province), (.manageJobs, .province):
            return true
        case (.setTarget, .province), (.planAllocation, .province):
            return true
        case (.setTarget, .district):
            return districtAllocation && below(grant, resource)
        case (.planAllocation, .district):
            return districtAllocation && !provinceWide
        case (.submitResult, .province), (.submitResult, .district), (.submitResult, .commune):
            return !provinceWide
        case (.decideResult, .province), (.decideResult, .district):
            return below(grant, resource)
        case (.manageAccount, .province), (.grant, .province):
            return true
        case (.manageAccount(let highest), .district):
            return !provinceWide && (highest ?? .viewer) <= .commune
        case (.grant(let role), .district):
            return !provinceWide && role <= .commune
        case (.readAudit, .province):
            return true
        case (.readAudit, .district):
            return !provinceWide
        default:
            return false
        }
    }
}

extension Role {
    /// The role as officers call it.
    public var vietnamese: String {
        switch self {
        case .viewer: "người xem"
        case .commune: "cán bộ xã"
        case .district: "cán bộ huyện"
        case .province: "cán bộ tỉnh"
        }
    }
}
