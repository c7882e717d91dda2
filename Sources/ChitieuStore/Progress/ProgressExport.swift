public import ChitieuDomain
public import ChitieuWorkbook
public import Foundation

/// Completion for spreadsheets: the workbook (one sheet per level) or CSV that
/// `chitieu export progress` writes and the daemon serves, with Vietnamese headers and numbers
/// as numbers.
public struct ProgressExport: Sendable {
    /// The two forms an export takes.
    public enum Format: String, Sendable, CaseIterable {
        case xlsx, csv

        /// The media type of the file.
        public var contentType: String {
            switch self {
            case .xlsx: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            case .csv: "text/csv; charset=utf-8"
            }
        }
    }

    /// The figures exported, in the store's order.
    public var figures: [ProgressFigure]
    /// The phase's code (the year column of whole-phase figures).
    public var phaseCode: String
    /// The plan that set the phase's targets, cited on every row.
    public var plan: PhasePlan?

    public init(figures: [ProgressFigure], phaseCode: String, plan: PhasePlan?) {
        self.figures = figures
        self.phaseCode = phaseCode
        self.plan = plan
    }

    /// The column headers, in Vietnamese.
    public static let header = [
        "Mã chỉ tiêu", "Tên chỉ tiêu", "Đơn vị tính", "Mã đơn vị", "Đơn vị hành chính", "Cấp", "Năm", "Chỉ tiêu giao",
        "Kết quả đã duyệt", "Tỷ lệ hoàn thành (%)", "Kết quả kể cả chưa duyệt", "Số đi kèm", "Đơn vị số đi kèm", "Tình trạng",
        "Căn cứ giao chỉ tiêu",
    ]
    /// How a status reads in Vietnamese.
    public static let statusLabels: [ProgressStatus: String] = [
        .completed: "Hoàn thành", .onTrack: "Đúng tiến độ", .behind: "Chậm tiến độ", .noTarget: "Chưa giao chỉ tiêu", .suspended: "Tạm dừng",
    ]
    /// How a level reads in Vietnamese.
    public static let levelLabels: [UnitLevel: String] = [.province: "Tỉnh", .district: "Huyện", .commune: "Xã", .village: "Thôn"]

    /// One figure's row.
    public func cells(_ f: ProgressFigure) -> [Cell] {
        [.text(f.indicatorCode), .text(f.indicatorName), .text(f.measureUnit), .text(f.unitCode), .text(f.unitName),
         .text(Self.levelLabels[f.unitLevel] ?? ""), f.year.map { .integer($0) } ?? .text(phaseCode),
         f.target.map { .integer($0) } ?? .empty, .integer(f.achieved), f.rate.map { .number(($0 * 1000).rounded() / 10) } ?? .empty,
         .integer(f.achievedWithSubmitted), f.companion.map { .integer($0) } ?? .empty, .text(f.companionMeasure ?? ""),
         .text(Self.statusLabels[f.status] ?? f.status.rawValue), .text(plan?.citation ?? "")]
    }

    /// The file's bytes.
    public func data(_ format: Format) -> Data {
        switch format {
        case .xlsx:
            let levels: [(UnitLevel, String)] = [(.province, "Cấp tỉnh"), (.district, "Cấp huyện"), (.commune, "Cấp xã"), (.village, "Cấp thôn")]
            let sheets = levels.map { level, name in
                Workbook.Sheet(name: name, header: Self.header, rows: figures.filter { $0.unitLevel == level }.map(cells))
            }.filter { !$0.rows.isEmpty }
            return Workbook(sheets: sheets.isEmpty ? [Workbook.Sheet(name: "Tiến độ", header: Self.header, rows: [])] : sheets).data()
        case .csv:
            func field(_ s: String) -> String {
                s.contains(where: { $0 == "," || $0 == "\"" || $0.isNewline }) ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
            }
            let rows = figures.map { f in
                cells(f).map { cell -> String in
                    switch cell {
                    case .text(let t): t
                    case .integer(let v): String(v)
                    case .number(let v): String(v)
                    case .empty: ""
                    }
                }
            }
            let text = ([Self.header] + rows).map { $0.map(field).joined(separator: ",") + "\n" }.joined()
            // A byte-order mark, so Excel opens the UTF-8 file with its Vietnamese intact.
            return Data([0xEF, 0xBB, 0xBF]) + Data(text.utf8)
        }
    }

    /// The file's name: `tien-do-<phase>[-<year>].<format>`.
    public func filename(year: Int?, _ format: Format) -> String {
        let safe = phaseCode.filter { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }
        return "tien-do-\(safe)\(year.map { "-\($0)" } ?? "").\(format.rawValue)"
    }
}
