import ChitieuDomain
import Testing

/// The permission table as a matrix: every role × every action × every relation of the target
/// unit to the actor's grant unit, with the expected answer written out independently of
/// `Policy` (the oracle below follows the issue's table, not the code).
@Suite("Policy matrix")
struct PolicyMatrixTests {
    // MARK: The fixed tree

    /// Province ids (tenancy) of the two provinces.
    static let provinceP: Int64 = 7
    static let provinceQ: Int64 = 8

    /// A unit of the fixture: a name for messages, its province and its path from the root.
    struct Unit: Sendable, CustomStringConvertible {
        var name: String
        var provinceID: Int64
        var path: [Int64]
        var id: Int64 { path.last! }
        var resource: Resource { .unit(provinceID, path: path) }
        var description: String { "\(name) (\(id))" }
    }

    // Province P: P (1) ─ D1 (10) ─ C11 (101), C12 (102)
    //                   └ D2 (20) ─ C21 (201)
    static let P = Unit(name: "P", provinceID: provinceP, path: [1])
    static let D1 = Unit(name: "D1", provinceID: provinceP, path: [1, 10])
    static let D2 = Unit(name: "D2", provinceID: provinceP, path: [1, 20])
    static let C11 = Unit(name: "C11", provinceID: provinceP, path: [1, 10, 101])
    static let C12 = Unit(name: "C12", provinceID: provinceP, path: [1, 10, 102])
    static let C21 = Unit(name: "C21", provinceID: provinceP, path: [1, 20, 201])
    // Province Q: Q (2) ─ QD (30) ─ QC (301)
    static let Q = Unit(name: "Q", provinceID: provinceQ, path: [2])
    static let QD = Unit(name: "QD", provinceID: provinceQ, path: [2, 30])
    static let QC = Unit(name: "QC", provinceID: provinceQ, path: [2, 30, 301])

    /// The same unit ids as in P, but claimed to be in province Q: must be refused all the same.
    static func lookalikeInQ(_ unit: Unit) -> Unit {
        Unit(name: "\(unit.name)-lookalike-in-Q", provinceID: provinceQ, path: unit.path)
    }

    // MARK: Relations

    /// How the target relates to the actor's grant unit.
    enum Relation: String, Sendable, CaseIterable {
        case own
        /// Strictly below: a child.
        case child
        /// Strictly below: a grandchild.
        case grandchild
        /// Above the grant unit (parent or grandparent).
        case ancestor
        /// Same parent, not the unit itself.
        case sibling
        /// In a sibling's subtree (or the sibling of an ancestor).
        case cousin
        /// A unit of province Q.
        case otherProvinceUnit
        /// A unit of province Q carrying the very ids of a unit in the actor's own scope.
        case otherProvinceLookalike
        /// Province-wide resource (indicator catalogue, phases) of the actor's province.
        case provinceWide
        /// Province-wide resource of province Q.
        case otherProvinceWide
    }

    /// A target: its relation to the grant unit, a name for messages, and the resource.
    struct Target: Sendable, CustomStringConvertible {
        var relation: Relation
        var name: String
        var resource: Resource
        var description: String { "\(relation.rawValue) \(name)" }

        init(_ relation: Relation, _ unit: Unit) {
            self.relation = relation
            self.name = unit.description
            self.resource = unit.resource
        }

        init(_ relation: Relation, provinceWide provinceID: Int64) {
            self.relation = relation
            self.name = "province-wide(\(provinceID))"
            self.resource = .province(provinceID)
        }
    }

    /// Targets common to every actor: the province-wide resources and province Q's units.
    static func commonTargets(lookalikes: [Unit]) -> [Target] {
        [
            Target(.provinceWide, provinceWide: provinceP),
            Target(.otherProvinceWide, provinceWide: provinceQ),
            Target(.otherProvinceUnit, Q),
            Target(.otherProvinceUnit, QD),
            Target(.otherProvinceUnit, QC),
        ] + lookalikes.map { Target(.otherProvinceLookalike, lookalikeInQ($0)) }
    }

    /// Targets around a grant at P.
    static let targetsAtP: [Target] = [
        Target(.own, P),
        Target(.child, D1), Target(.child, D2),
        Target(.grandchild, C11), Target(.grandchild, C12), Target(.grandchild, C21),
    ] + commonTargets(lookalikes: [P, D1, C11])

    /// Targets around a grant at D1.
    static let targetsAtD1: [Target] = [
        Target(.own, D1),
        Target(.child, C11), Target(.child, C12),
        Target(.ancestor, P),
        Target(.sibling, D2),
        Target(.cousin, C21),
    ] + commonTargets(lookalikes: [D1, C11])

    /// Targets around a grant at C11.
    static let targetsAtC11: [Target] = [
        Target(.own, C11),
        Target(.ancestor, D1), Target(.ancestor, P),
        Target(.sibling, C12),
        Target(.cousin, D2), Target(.cousin, C21),
    ] + commonTargets(lookalikes: [C11])

    // MARK: Actors

    /// An account of province P with one grant.
    struct Actor: Sendable, CustomStringConvertible {
        var role: Role
        var unit: Unit
        var targets: [Target]
        var description: String { "\(role.rawValue)@\(unit.name)" }

        func principal(districtAllocation: Bool) -> Principal {
            Principal(
                provinceID: PolicyMatrixTests.provinceP,
                grants: [RoleAssignment(role: role, unitID: unit.id)],
                districtAllocation: districtAllocation)
        }
    }

    static let actors: [Actor] = [
        Actor(role: .province, unit: P, targets: targetsAtP),
        Actor(role: .district, unit: D1, targets: targetsAtD1),
        Actor(role: .commune, unit: C11, targets: targetsAtC11),
        Actor(role: .viewer, unit: P, targets: targetsAtP),
        Actor(role: .viewer, unit: D1, targets: targetsAtD1),
        Actor(role: .viewer, unit: C11, targets: targetsAtC11),
    ]

    // MARK: Actions

    /// Every action, listed here rather than taken from `Action.all`.
    static let actions: [Action] =
        [.read, .manageIndicators, .manageJobs, .setTarget, .planAllocation, .submitResult, .decideResult, .readAudit]
        + [Action.manageAccount(highestRole: nil)]
        + [Role.viewer, .commune, .district, .province].map { Action.manageAccount(highestRole: $0) }
        + [Role.viewer, .commune, .district, .province].map { Action.grant($0) }

    static func name(_ action: Action) -> String {
        switch action {
        case .read: "read"
        case .manageIndicators: "manageIndicators"
        case .setTarget: "setTarget"
        case .planAllocation: "planAllocation"
        case .submitResult: "submitResult"
        case .decideResult: "decideResult"
        case .manageAccount(let highest): "manageAccount(highestRole: \(highest?.rawValue ?? "nil"))"
        case .grant(let role): "grant(\(role.rawValue))"
        case .readAudit: "readAudit"
        case .manageJobs: "manageJobs"
        }
    }

    // MARK: The oracle

    /// The expected answer, from the issue's permission table.
    static func expected(role: Role, action: Action, relation: Relation, districtAllocation: Bool) -> Decision {
        switch relation {
        case .otherProvinceUnit, .otherProvinceLookalike, .otherProvinceWide:
            return .notFound  // anything in another province
        case .ancestor, .sibling, .cousin:
            return .notFound  // outside every grant's subtree: no hint of existence
        case .own, .child, .grandchild, .provinceWide:
            break  // in scope (province-wide things of the own province are seen by every grant)
        }
        // Province-wide resources are neither the own unit nor below it.
        let strictlyBelow = relation == .child || relation == .grandchild
        let ownOrBelow = relation == .own || strictlyBelow
        let allowed: Bool
        switch action {
        case .read:
            allowed = true
        case .manageIndicators, .manageJobs:
            allowed = role == .province
        case .setTarget:
            switch role {
            case .province: allowed = true
            case .district: allowed = districtAllocation && strictlyBelow
            case .commune, .viewer: allowed = false
            }
        case .planAllocation:
            switch role {
            case .province: allowed = true
            case .district: allowed = districtAllocation && ownOrBelow
            case .commune, .viewer: allowed = false
            }
        case .submitResult:
            switch role {
            case .province, .district, .commune: allowed = ownOrBelow
            case .viewer: allowed = false
            }
        case .decideResult:
            switch role {
            case .province, .district: allowed = strictlyBelow
            case .commune, .viewer: allowed = false
            }
        case .manageAccount(let highest):
            switch role {
            case .province: allowed = true
            case .district: allowed = ownOrBelow && (highest == nil || highest == .viewer || highest == .commune)
            case .commune, .viewer: allowed = false
            }
        case .grant(let granted):
            switch role {
            case .province: allowed = true
            case .district: allowed = ownOrBelow && (granted == .commune || granted == .viewer)
            case .commune, .viewer: allowed = false
            }
        case .readAudit:
            switch role {
            case .province: allowed = true
            case .district: allowed = ownOrBelow
            case .commune, .viewer: allowed = false
            }
        }
        return allowed ? .allow : .forbidden
    }

    // MARK: Tests

    /// Checks every action × target for one actor; returns the number of cells checked.
    @discardableResult
    static func checkMatrix(_ actor: Actor, districtAllocation: Bool) -> Int {
        let principal = actor.principal(districtAllocation: districtAllocation)
        var cells = 0
        for action in actions {
            for target in actor.targets {
                let want = expected(role: actor.role, action: action, relation: target.relation, districtAllocation: districtAllocation)
                let got = Policy.decide(principal, action, target.resource)
                #expect(
                    got == want,
                    "\(actor) districtAllocation=\(districtAllocation) \(name(action)) on \(target): got \(got), expected \(want)")
                cells += 1
            }
        }
        return cells
    }

    @Test("every role × action × relation", arguments: actors, [false, true])
    func matrix(actor: Actor, districtAllocation: Bool) {
        let cells = Self.checkMatrix(actor, districtAllocation: districtAllocation)
        #expect(cells == Self.actions.count * actor.targets.count)
    }

    @Test func everyRelationIsCoveredForEveryGrantLevel() {
        // Province grant: no ancestor, sibling or cousin exists inside the province.
        let atP = Set(Self.targetsAtP.map(\.relation))
        #expect(atP == Set(Relation.allCases).subtracting([.ancestor, .sibling, .cousin]))
        // District grant: no grandchild exists.
        #expect(Set(Self.targetsAtD1.map(\.relation)) == Set(Relation.allCases).subtracting([.grandchild]))
        // Commune grant: nothing below.
        #expect(Set(Self.targetsAtC11.map(\.relation)) == Set(Relation.allCases).subtracting([.child, .grandchild]))
        // Every role is an actor.
        #expect(Set(Self.actors.map(\.role)) == Set(Role.allCases))
    }

    @Test func theActionListIsComplete() {
        // A new action must get a row in the oracle.
        #expect(Set(Self.actions) == Set(Action.all))
        #expect(Self.actions.count == 17)
    }

    /// Spot checks of the cells the district option changes, spelled out one by one.
    @Test func districtAllocationOption() {
        let off = Self.actors[1].principal(districtAllocation: false)
        let on = Self.actors[1].principal(districtAllocation: true)
        #expect(Policy.decide(off, .setTarget, Self.C11.resource) == .forbidden)
        #expect(Policy.decide(on, .setTarget, Self.C11.resource) == .allow)
        #expect(Policy.decide(on, .setTarget, Self.D1.resource) == .forbidden, "its own district's target is the province's")
        #expect(Policy.decide(on, .setTarget, .province(Self.provinceP)) == .forbidden)
        #expect(Policy.decide(off, .planAllocation, Self.D1.resource) == .forbidden)
        #expect(Policy.decide(on, .planAllocation, Self.D1.resource) == .allow)
        #expect(Policy.decide(on, .planAllocation, Self.C12.resource) == .allow)
        #expect(Policy.decide(on, .planAllocation, .province(Self.provinceP)) == .forbidden)
        #expect(Policy.decide(on, .planAllocation, Self.D2.resource) == .notFound)
    }

    @Test func operatorIsAllowedEverything() {
        let everything: [Target] = Self.targetsAtP + Self.targetsAtD1 + Self.targetsAtC11
        for action in Self.actions {
            for target in everything {
                let got = Policy.decide(.operator, action, target.resource)
                #expect(got == .allow, "operator \(Self.name(action)) on \(target): got \(got)")
            }
        }
    }

    @Test func anAccountOfAnotherProvinceSeesNothingOfP() {
        // An account of Q holding the province role at a unit with P's root id.
        let stranger = Principal(provinceID: Self.provinceQ, grants: [RoleAssignment(role: .province, unitID: 1)], districtAllocation: true)
        for action in Self.actions {
            for target in Self.targetsAtP where target.resource.provinceID == Self.provinceP {
                let got = Policy.decide(stranger, action, target.resource)
                #expect(got == .notFound, "province@Q \(Self.name(action)) on \(target) of P: got \(got)")
            }
        }
    }
}
