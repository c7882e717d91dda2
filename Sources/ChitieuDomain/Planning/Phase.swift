/// A planning phase of a province: 2021–2025, 2026–2030.
public struct Phase: Sendable, Hashable {
    public var id: Int64
    public var code: String
    public var firstYear: Int
    public var lastYear: Int
    /// The plan that set the phase's targets, once recorded.
    public var plan: PhasePlan?

    /// A phase of the years `firstYear...lastYear`.
    public init(id: Int64, code: String, firstYear: Int, lastYear: Int, plan: PhasePlan? = nil) {
        self.id = id
        self.code = code
        self.firstYear = firstYear
        self.lastYear = lastYear
        self.plan = plan
    }

    /// The years of the phase, in order.
    public var years: [Int] { Array(firstYear...lastYear) }
    /// First day of the phase.
    public var start: CalendarDate { .firstDay(of: firstYear) }
    /// Last day of the phase.
    public var end: CalendarDate { .lastDay(of: lastYear) }
}

/// The plan, a document of the province, that set a phase's targets: e.g. Lào Cai's "Kế hoạch
/// số 355/KH-UBND ngày 24/10/2022 của UBND tỉnh Lào Cai".
public struct PhasePlan: Sendable, Hashable {
    /// Its number, e.g. 355/KH-UBND.
    public var number: String
    /// The day it was issued.
    public var date: CalendarDate
    /// Who issued it, e.g. UBND tỉnh Lào Cai.
    public var issuer: String
    /// Its title, if recorded.
    public var title: String?

    /// A plan; text is kept NFC and trimmed (`problem` says whether it is acceptable).
    public init(number: String, date: CalendarDate, issuer: String, title: String? = nil) {
        self.number = Names.normalized(number)
        self.date = date
        self.issuer = Names.normalized(issuer)
        self.title = title.map(Names.normalized).flatMap { $0.isEmpty ? nil : $0 }
    }

    /// The plan as officers cite it: "Kế hoạch số 355/KH-UBND ngày 24/10/2022 của UBND tỉnh Lào Cai".
    public var citation: String { "Kế hoạch số \(number) ngày \(date.dayMonthYear) của \(issuer)" }

    /// The first problem with the plan, as (field, reason), or nil.
    public var problem: (field: String, reason: String)? {
        if let reason = Names.problem(with: number, maxLength: 100) { return ("number", reason) }
        guard (2000...2100).contains(date.year) else { return ("date", "\(date) is not a day of the years 2000 to 2100") }
        if let reason = Names.problem(with: issuer, maxLength: 200) { return ("issuer", reason) }
        if let title, let reason = Names.problem(with: title, maxLength: 500) { return ("title", reason) }
        return nil
    }
}
