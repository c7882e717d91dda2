/// A period results are reported for: a year, one of its halves, quarters or months. Its code is
/// what the `reporting.completeness` views and `GET /v1/completeness` name it by: `2025`,
/// `2025-H1`, `2025-Q3`, `2025-07`.
public struct ReportingPeriod: Sendable, Hashable {
    /// The kinds of period.
    public enum Kind: String, Sendable, CaseIterable {
        case year, half, quarter, month

        /// How many months a period of this kind spans.
        public var months: Int {
            switch self {
            case .year: 12
            case .half: 6
            case .quarter: 3
            case .month: 1
            }
        }
    }

    public var year: Int
    public var kind: Kind
    /// 1-based within the year (0 for the year itself).
    public var number: Int

    /// The whole year.
    public static func year(_ year: Int) -> ReportingPeriod { ReportingPeriod(checkedYear: year, kind: .year, number: 0) }

    /// A period of `kind`, numbered from 1 within `year` (`number` is ignored for a year); nil
    /// when there is no such period.
    public init?(year: Int, kind: Kind, number: Int) {
        guard (2000...2100).contains(year) else { return nil }
        guard kind == .year || (1...(12 / kind.months)).contains(number) else { return nil }
        self.year = year
        self.kind = kind
        self.number = kind == .year ? 0 : number
    }

    private init(checkedYear year: Int, kind: Kind, number: Int) {
        self.year = year
        self.kind = kind
        self.number = number
    }

    /// A period from its code (`2025`, `2025-H1`, `2025-Q3`, `2025-07`), or nil.
    public init?(code: some StringProtocol) {
        let parts = code.split(separator: "-", omittingEmptySubsequences: false)
        guard let first = parts.first, first.count == 4, first.allSatisfy(\.isASCII), let year = Int(first) else { return nil }
        if parts.count == 1 {
            self.init(year: year, kind: .year, number: 0)
            return
        }
        guard parts.count == 2, let rest = parts.last, rest.count == 2, rest.allSatisfy(\.isASCII) else { return nil }
        switch rest.first {
        case "H": guard let n = Int(rest.dropFirst()) else { return nil }; self.init(year: year, kind: .half, number: n)
        case "Q": guard let n = Int(rest.dropFirst()) else { return nil }; self.init(year: year, kind: .quarter, number: n)
        default: guard let n = Int(rest) else { return nil }; self.init(year: year, kind: .month, number: n)
        }
    }

    /// The code the views use.
    public var code: String {
        switch kind {
        case .year: "\(year)"
        case .half: "\(year)-H\(number)"
        case .quarter: "\(year)-Q\(number)"
        case .month: number < 10 ? "\(year)-0\(number)" : "\(year)-\(number)"
        }
    }

    /// Its first month.
    public var firstMonth: Int { kind == .year ? 1 : (number - 1) * kind.months + 1 }

    /// Its first day.
    public var start: CalendarDate { CalendarDate(year: year, month: firstMonth, day: 1) }

    /// Its last day.
    public var end: CalendarDate {
        let last = firstMonth + kind.months - 1
        return CalendarDate(year: year, month: last, day: CalendarDate.days(inMonth: last, of: year))
    }

    /// How officers name it: Năm 2025, 6 tháng đầu năm 2025, Quý III/2025, Tháng 7/2025.
    public var label: String {
        switch kind {
        case .year: "Năm \(year)"
        case .half: number == 1 ? "6 tháng đầu năm \(year)" : "6 tháng cuối năm \(year)"
        case .quarter: "Quý \(["I", "II", "III", "IV"][number - 1])/\(year)"
        case .month: "Tháng \(number)/\(year)"
        }
    }

    /// Every period of a year, the year first, then halves, quarters and months.
    public static func all(of year: Int) -> [ReportingPeriod] {
        Kind.allCases.flatMap { kind in
            (kind == .year ? [0] : Array(1...(12 / kind.months))).map { ReportingPeriod(checkedYear: year, kind: kind, number: $0) }
        }
    }

    /// The period spanning exactly `start...end`, if it is one.
    public static func exactly(_ start: CalendarDate, _ end: CalendarDate) -> ReportingPeriod? {
        guard start.year == end.year else { return nil }
        return all(of: start.year).first { $0.start == start && $0.end == end }
    }
}
