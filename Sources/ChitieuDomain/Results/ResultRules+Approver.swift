extension ResultRules {
    /// The units where a principal holds a role that decides on results: province and district officers.
    static func decidingUnits(_ principal: Principal) -> Set<Int64> {
        Set(principal.grants.filter { $0.role == .province || $0.role == .district }.map(\.unitID))
    }

    /// The unit whose role approves a result of the last unit of `path` (the province first): the
    /// nearest unit above it where the principal decides; nil for the operator or when none does.
    public static func approvingUnit(of principal: Principal, path: [Int64]) -> Int64? {
        guard principal.kind != .operator else { return nil }
        let deciders = decidingUnits(principal)
        return path.dropLast().last { deciders.contains($0) }
    }

    /// Why the principal may not correct a result approved at the last unit of `path` (the
    /// province first) — only that level or one above it corrects it — or nil when it may.
    public static func correctionRefusal(_ principal: Principal, approvedAt path: [Int64]) -> String? {
        guard principal.kind != .operator, !decidingUnits(principal).contains(where: path.contains) else { return nil }
        return "this result was approved above your level; that level or one above it corrects it"
    }
}
