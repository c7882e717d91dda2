public import ChitieuDomain
import Foundation

/// The report a province sends upward for a phase or a year: a title block, then one table per
/// level of its scope (province, districts, communes), each indicator with its unit of measure,
/// target, achieved, rate and a note, and how many indicators are complete. Built from the
/// progress figures the dashboard and `ProgressExport` read (`ProgressStore.provinceReport`).
public struct ProvinceReport: Sendable {
    /// The national programme, as the title block names it.
    public static let programme = "Chương trình MTQG phát triển KT-XH vùng đồng bào DTTS&MN"
    /// The project the indicators belong to.
    public static let project = "Dự án 8: Thực hiện bình đẳng giới và giải quyết những vấn đề cấp thiết đối với phụ nữ và trẻ em"
    /// The report's name.
    public static let heading = "BÁO CÁO KẾT QUẢ THỰC HIỆN CHỈ TIÊU"
    /// The table's column headers.
    public static let header = ["STT", "Chỉ tiêu", "Đơn vị tính", "Chỉ tiêu giao", "Kết quả đạt được", "Tỷ lệ hoàn thành", "Ghi chú"]

    /// One indicator of a unit.
    public struct Line: Sendable, Hashable {
        /// Its number in the unit's list, from 1.
        public var number: Int
        public var indicatorCode: String
        public var indicatorName: String
        public var measureUnit: String
        public var target: Int?
        public var achieved: Int
        /// achieved / target (1 = 100 %); nil without a target.
        public var rate: Double?
        public var status: ProgressStatus
        /// "Tạm dừng" for a suspended indicator, otherwise how the figure stands.
        public var note: String
    }

    /// How many of a unit's indicators are complete, out of those that count (a suspended
    /// indicator or one without a target does not).
    public struct Completion: Sendable, Hashable {
        public var completed: Int
        public var counted: Int
        public var suspended: Int

        /// "Hoàn thành 4/10 chỉ tiêu" (and how many are suspended, if any).
        public var text: String {
            "Hoàn thành \(completed)/\(counted) chỉ tiêu" + (suspended > 0 ? " (\(suspended) chỉ tiêu tạm dừng)" : "")
        }

        init(_ lines: [Line]) {
            let counted = lines.filter { $0.status != .suspended && $0.status != .noTarget }
            self.completed = counted.filter { $0.status == .completed }.count
            self.counted = counted.count
            self.suspended = lines.filter { $0.status == .suspended }.count
        }
    }

    /// One unit's indicators.
    public struct Group: Sendable {
        public var unitID: Int64
        public var unitCode: String
        public var unitName: String
        public var lines: [Line]
        public var completion: Completion
    }

    /// The units of one level.
    public struct Table: Sendable {
        public var level: UnitLevel
        /// "I. Cấp tỉnh", "II. Cấp huyện"…
        public var heading: String
        public var groups: [Group]
    }

    public var provinceName: String
    public var phase: String
    /// nil: the whole phase.
    public var year: Int?
    /// The plan that set the phase's targets, cited under the title.
    public var plan: PhasePlan?
    /// The day the report is made.
    public var date: CalendarDate
    public var tables: [Table]

    /// The figures of the caller's scope arranged into tables: each level's units, each unit's
    /// indicators in code order. A level lists an indicator only where the indicator is
    /// reported at that level or below (`reportingLevels`): one the province runs alone has no
    /// district or commune lines. `suspendedFrom` gives the day a suspended indicator stopped.
    public init(
        provinceName: String, phase: String, year: Int?, plan: PhasePlan?, date: CalendarDate, figures: [ProgressFigure],
        reportingLevels: [String: [UnitLevel]], suspendedFrom: [String: CalendarDate] = [:]
    ) {
        self.provinceName = provinceName
        self.phase = phase
        self.year = year
        self.plan = plan
        self.date = date
        let levels: [UnitLevel] = [.province, .district, .commune, .village]
        let numerals = ["I", "II", "III", "IV"]
        var tables: [Table] = []
        for level in levels {
            let rank = levels.firstIndex(of: level) ?? 0
            let here = figures.filter { f in
                f.unitLevel == level && (reportingLevels[f.indicatorCode] ?? [.commune]).contains { (levels.firstIndex(of: $0) ?? 0) >= rank }
            }
            guard !here.isEmpty else { continue }
            let groups = Self.groups(here, suspendedFrom: suspendedFrom)
            tables.append(Table(level: level, heading: "\(numerals[tables.count]). \(Self.levelNames[level] ?? "")", groups: groups))
        }
        self.tables = tables
    }

    static let levelNames: [UnitLevel: String] = [.province: "Cấp tỉnh", .district: "Cấp huyện", .commune: "Cấp xã", .village: "Cấp thôn"]

    /// The units of a level in the store's order (Vietnamese names as the database sorts them),
    /// each with its indicators in code order.
    static func groups(_ figures: [ProgressFigure], suspendedFrom: [String: CalendarDate]) -> [Group] {
        let byUnit = Dictionary(grouping: figures, by: \.unitID)
        var seen: Set<Int64> = []
        let units = figures.filter { seen.insert($0.unitID).inserted }
        return units.map { unit in
            let lines = (byUnit[unit.unitID] ?? []).sorted { $0.indicatorCode < $1.indicatorCode }.enumerated().map { i, f in
                Line(
                    number: i + 1, indicatorCode: f.indicatorCode, indicatorName: f.indicatorName, measureUnit: f.measureUnit, target: f.target,
                    achieved: f.achieved, rate: f.rate, status: f.status, note: note(f, suspendedFrom: suspendedFrom[f.indicatorCode]))
            }
            return Group(unitID: unit.unitID, unitCode: unit.unitCode, unitName: unit.unitName, lines: lines, completion: Completion(lines))
        }
    }

    /// A line's note: "Tạm dừng" (from the day, when known) for a suspended indicator, else its status.
    static func note(_ f: ProgressFigure, suspendedFrom: CalendarDate?) -> String {
        if f.status == .suspended { return "Tạm dừng" + (suspendedFrom.map { " từ \($0.dayMonthYear)" } ?? "") }
        return ProgressExport.statusLabels[f.status] ?? ""
    }

    /// The top of the scope's completion: the first unit of the first table (the province's
    /// own for a province officer).
    public var completion: Completion? { tables.first?.groups.first?.completion }

    /// "Năm 2024" or "Giai đoạn 2021-2025".
    public var period: String { year.map { "Năm \($0)" } ?? "Giai đoạn \(phase)" }

    /// The title block: province, programme, project, report, period (with the plan), date.
    public var titleLines: [String] {
        [
            provinceTitle, Self.programme, Self.project, Self.heading,
            period + (plan.map { " (chỉ tiêu giao theo \($0.citation))" } ?? ""), "Ngày báo cáo: \(date.dayMonthYear)",
        ]
    }

    /// The province as the title names it: "Tỉnh Lào Cai" (its name, with "Tỉnh" before it
    /// unless the name says what it is, as "Thành phố Hà Nội" does).
    public var provinceTitle: String {
        ["Tỉnh ", "Thành phố "].contains { provinceName.hasPrefix($0) } ? provinceName : "Tỉnh " + provinceName
    }

    /// The file's name: `bao-cao-<phase>[-<year>].xlsx`.
    public var filename: String {
        let safe = phase.filter { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }
        return "bao-cao-\(safe)\(year.map { "-\($0)" } ?? "").xlsx"
    }
}
