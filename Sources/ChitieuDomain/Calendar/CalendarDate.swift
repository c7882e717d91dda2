/// A day of the calendar with no time of day: a unit's validity, a phase's first and last day,
/// a plan's date, a reporting period.
public struct CalendarDate: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var year: Int
    public var month: Int
    public var day: Int

    /// A day; no check that it exists (see `init?(iso:)` for text from people).
    public init(year: Int, month: Int, day: Int) {
        self.year = year
        self.month = month
        self.day = day
    }

    /// Parses ISO `YYYY-MM-DD`; nil for anything else or a day that does not exist.
    public init?(iso text: some StringProtocol) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2 else { return nil }
        self.init(checking: parts[0], parts[1], parts[2])
    }

    /// Parses the day as people in Vietnam write it, `dd/mm/yyyy` (24/10/2022); nil for anything
    /// else or a day that does not exist.
    public init?(dayMonthYear text: some StringProtocol) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 2, parts[1].count == 2, parts[2].count == 4 else { return nil }
        self.init(checking: parts[2], parts[1], parts[0])
    }

    private init?<Part: StringProtocol>(checking year: Part, _ month: Part, _ day: Part) {
        guard year.allSatisfy(\.isASCIIDigit), month.allSatisfy(\.isASCIIDigit), day.allSatisfy(\.isASCIIDigit),
            let y = Int(year), let m = Int(month), let d = Int(day), (1...12).contains(m), (1...Self.days(inMonth: m, of: y)).contains(d)
        else { return nil }
        self.init(year: y, month: m, day: d)
    }

    /// How many days a month of a year has.
    public static func days(inMonth month: Int, of year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// The first day of a year.
    public static func firstDay(of year: Int) -> CalendarDate { CalendarDate(year: year, month: 1, day: 1) }

    /// The last day of a year.
    public static func lastDay(of year: Int) -> CalendarDate { CalendarDate(year: year, month: 12, day: 31) }

    /// The day before.
    public var dayBefore: CalendarDate {
        if day > 1 { return CalendarDate(year: year, month: month, day: day - 1) }
        if month > 1 { return CalendarDate(year: year, month: month - 1, day: Self.days(inMonth: month - 1, of: year)) }
        return Self.lastDay(of: year - 1)
    }

    /// ISO `YYYY-MM-DD`, as PostgreSQL and the API write it.
    public var description: String { "\(Self.digits(year, 4))-\(Self.digits(month, 2))-\(Self.digits(day, 2))" }

    /// The day as people in Vietnam write it: 24/10/2022.
    public var dayMonthYear: String { "\(Self.digits(day, 2))/\(Self.digits(month, 2))/\(year)" }

    public static func < (a: CalendarDate, b: CalendarDate) -> Bool {
        (a.year, a.month, a.day) < (b.year, b.month, b.day)
    }

    private static func digits(_ n: Int, _ count: Int) -> String {
        let text = String(n)
        return String(repeating: "0", count: max(0, count - text.count)) + text
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}
