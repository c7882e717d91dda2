public import ChitieuDomain
import Postgres

extension TargetStore {
    /// One unit's targets of an indicator in a phase, with its children's: what the Chỉ tiêu
    /// page shows (the sheet of `target show`, one level at a time, within the caller's scope).
    public struct UnitSheet: Sendable {
        public var indicator: Indicator
        public var phase: Phase
        /// The unit whose children are listed.
        public var unit: TargetUnit
        /// Unit ids from the province's root down to `unit`: the resource the policy decides on.
        public var path: [Int64]
        /// The units above `unit` the caller may read, root first (the trail back up).
        public var trail: [TargetUnit]
        /// The units directly below `unit` during the phase, in Vietnamese order.
        public var children: [TargetUnit]
        /// The cells of `unit` and its children (phase and years).
        public var cells: [TargetCell]
        /// How `unit`'s target is split among its children (nil: no rule set, split equally).
        public var rule: AllocationRule?
    }

    /// The sheet of a unit the caller may read (`unitID`; nil: the top of the caller's scope),
    /// for an indicator and a phase of the province. Another province's ids and units outside
    /// the caller's scope are not found.
    public func sheet(province: Int64, indicatorID: Int64, phaseCode: String, unitID: Int64?, caller: Caller) async throws -> UnitSheet {
        try await database.withTenant(province) { tx in
            let roots = try await tx.resolve.scope(of: caller, from: unitID.map(Reference.id))
            let indicator = try await tx.resolve.indicator(.id(indicatorID), field: "indicator")
            let phase = try await tx.resolve.phase(phaseCode)
            let units = try await Self.units(of: phase, tx: tx)
            let start = roots.first { id in units.contains { $0.id == id } } ?? roots.first
            let unit = try tx.resolve.unit(start.map(Reference.id), among: units, phase: phase)
            guard let path = try await Access.unitPath(unit.id, tx: tx) else { throw ChitieuError.notFound("the unit") }
            let trail = path.indices.dropLast().compactMap { i -> TargetUnit? in
                guard Access.canRead(caller, path: Array(path[...i]), provinceID: province) else { return nil }
                return units.first { $0.id == path[i] }
            }
            let children = units.filter { $0.parentID == unit.id }.sorted { $0.sortKey < $1.sortKey }
            let shown = Set([unit.id] + children.map(\.id))
            let cells = try await Self.cells(indicator: indicator.id, phase: phase, tx: tx).filter { shown.contains($0.unitID) }
            let rule = try await AllocationStore.rules(indicator: indicator.id, phase: phase, tx: tx)[unit.id]
            return UnitSheet(
                indicator: indicator, phase: phase, unit: unit, path: path, trail: trail, children: children, cells: cells, rule: rule)
        }
    }
}
