import ChitieuDomain
import ChitieuStore
import Foundation
import Hummingbird
import Postgres

/// Tổng quan: completion of the officer's scope for a phase or a year — each indicator's
/// target, achieved, rate and status, the child units sortable, drill-down unit by unit, the
/// yearly chart — read with the store functions `GET /v1/progress` uses.
struct DashboardController {
    let services: WebServices

    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.get("tong-quan") { request, context in try await dashboard(request, context) }
    }

    /// What the dashboard shows, as chosen in its query string.
    struct Choice {
        var phase: Phase
        var year: Int?
        var unit: Int64?
        var indicator: String?
        var sort: String
        var descending: Bool
        var onUnits: Bool
        /// The unit, as the policy let the caller read it.
        var readable: ReadableUnit?

        /// The query string of this choice with some parameters changed.
        func query(unit: Int64?? = .none, indicator: String?? = .none, sort: String? = nil, descending: Bool? = nil, onUnits: Bool? = nil, year: Int?? = .none) -> String {
            let u = unit ?? self.unit, i = indicator ?? self.indicator, s = sort ?? self.sort, d = descending ?? self.descending
            let y = year ?? self.year
            return WebQuery.string([
                ("phase", phase.code), ("year", y.map(String.init)), ("unit", u.map(String.init)), ("indicator", i),
                ("sort", s == "name" ? nil : s), ("dir", d ? "desc" : nil), ("view", (onUnits ?? self.onUnits) ? "units" : nil),
            ])
        }
    }

    static let sortKeys = ["name", "target", "achieved", "rate", "done"]

    /// The phase asked for, else the one of this year, else the latest.
    static func phase(_ phases: [Phase], chosen: String?) -> Phase? {
        let thisYear = Calendar.current.dateComponents(in: WebFormat.timeZone, from: Date()).year ?? 2025
        return phases.first { $0.code == chosen } ?? phases.last { $0.years.contains(thisYear) } ?? phases.last
    }

    /// The page, in steps: what is read (`reading`), the unit's own figures (`figureValues`), its
    /// child units (`rowValues`), where it sits (`breadcrumb`), its years (`chart`), its files.
    func dashboard(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let (caller, province) = try context.province()
        guard let reading = try await reading(WebQuery(request), province: province, caller: caller) else {
            return WebLayout.response(
                WebPage(title: "Tổng quan", section: .dashboard, body: Self.emptyTemplate.render([:])), context: context)
        }
        let (phase, year, figures) = (reading.phase, reading.year, reading.figures)
        var choice = reading.choice
        let ids = Set(figures.map(\.unitID))
        let top: ProgressFigure? = choice.unit.flatMap { u in figures.first { $0.unitID == u } }
            ?? figures.first { $0.parentID.map { !ids.contains($0) } ?? true }
        guard let top else {
            let body = Self.noFiguresTemplate.render(["phase": phase.code])
            return WebLayout.response(WebPage(title: "Tổng quan", section: .dashboard, body: body), context: context)
        }
        let own = figures.filter { $0.unitID == top.unitID }
        if choice.indicator == nil || !own.contains(where: { $0.indicatorCode == choice.indicator }) { choice.indicator = own.first?.indicatorCode }
        let selected = own.first { $0.indicatorCode == choice.indicator }

        var values = Self.figureValues(reading, choice: choice, top: top, own: own)
        values.merge(Self.rowValues(figures.filter { $0.parentID == top.unitID }, choice: choice)) { $1 }
        values["selectedName"] = selected?.indicatorName ?? ""
        // Where the unit sits: from the top of the officer's scope down to it.
        values["breadcrumb"] = try await breadcrumb(top: top, choice: choice, province: province, caller: caller)
        if let code = choice.indicator {
            values["chart"] = try await chart(
                code, title: "\(selected?.indicatorName ?? code) — \(top.unitName), theo năm", unitID: top.unitID, choice: choice,
                province: province, caller: caller)
        }
        // The files of what the page shows: its phase or year, from its unit down.
        for format in ["xlsx", "csv"] {
            values["\(format)Href"] = "/tai-ve/tien-do"
                + WebQuery.string([("phase", phase.code), ("year", year.map(String.init)), ("unit", choice.unit.map(String.init)), ("format", format)])
        }
        return WebLayout.response(
            WebPage(title: "Tổng quan — \(top.unitName)", section: .dashboard, body: Self.template.render(values)), context: context)
    }

    /// What the page has read: the phases, the phase and year shown, whether the phase's units
    /// changed, the choice and the figures of the choice's unit and the level below.
    struct Reading {
        var phases: [Phase]
        var phase: Phase
        var year: Int?
        var merged: Bool
        var choice: Choice
        var figures: [ProgressFigure]
    }

    /// The choice of the query string and its figures; nil when the province has no phase yet.
    func reading(_ query: WebQuery, province: Int64, caller: Caller) async throws -> Reading? {
        // The phases, whether their units changed and the unit asked for (checked by the policy)
        // in one round trip; the figures below are kept in memory (`FiguresCache`), as the JSON
        // route's are, and most pages need nothing more from the database.
        let frame = try await services.progress.frame(province: province, unit: try query.id("unit"), caller: caller)
        let listed = frame.phases
        let phases = listed.map(\.phase)
        func unitsEnded(_ phase: Phase) -> Bool { listed.first { $0.phase.code == phase.code }?.unitsEnded ?? false }
        guard !phases.isEmpty else { return nil }
        let phase = Self.phase(phases, chosen: query["phase"])!
        let year = query.integer("year").flatMap { phase.years.contains($0) ? $0 : nil }
        let merged = unitsEnded(phase)
        var reading = Reading(
            phases: phases, phase: phase, year: year, merged: merged,
            choice: Choice(
                phase: phase, year: year, unit: try query.id("unit"), indicator: query["indicator"],
                sort: query["sort"].flatMap { Self.sortKeys.contains($0) ? $0 : nil } ?? "name", descending: query["dir"] == "desc",
                onUnits: merged && query["view"] == "units", readable: frame.unit),
            figures: [])
        reading.figures = try await read(province: province, choice: reading.choice, year: year, depth: 1, indicator: nil, caller: caller)
        // Unasked, a phase just begun with no target yet gives way to the one before it.
        if query["phase"] == nil, !reading.figures.contains(where: { $0.target != nil }),
           let earlier = phases.last(where: { $0.lastYear < phase.firstYear }) {
            (reading.phase, reading.year, reading.choice.phase, reading.choice.year) = (earlier, nil, earlier, nil)
            reading.merged = unitsEnded(earlier)
            reading.choice.onUnits = reading.merged && query["view"] == "units"
            reading.figures = try await read(province: province, choice: reading.choice, year: nil, depth: 1, indicator: nil, caller: caller)
        }
        return reading
    }

    /// The heading, the filters and the cards of the unit's own figures (`own`), one an indicator.
    static func figureValues(_ reading: Reading, choice: Choice, top: ProgressFigure, own: [ProgressFigure]) -> [String: Any] {
        let (phase, year) = (reading.phase, reading.year)
        var values: [String: Any] = [
            "phase": phase.code, "unitName": top.unitName, "periodLabel": year.map { "năm \($0)" } ?? "giai đoạn \(phase.code)",
            "phases": reading.phases.map { ["code": $0.code, "selected": $0.code == phase.code] },
            "years": phase.years.map { ["year": $0, "selected": $0 == year] }, "wholePhase": year == nil,
            "onUnits": choice.onUnits,
        ]
        if let unit = choice.unit { values["unit"] = String(unit) }
        if let code = choice.indicator { values["indicator"] = code }
        let counted = own.filter { $0.status != .suspended && $0.status != .noTarget }
        let suspended = own.filter { $0.status == .suspended }.count
        values["headline"] = "\(counted.filter { $0.status == .completed }.count)/\(counted.count) chỉ tiêu đạt 100%"
        if suspended > 0 { values["suspendedNote"] = "\(suspended) chỉ tiêu tạm dừng" }
        // The cards and the table's rows are written here, escaped as the template escapes: the
        // most repeated parts of the page, and the costliest to render through the template.
        var cards = ""
        for f in own {
            let e = Self.escape
            cards += "<li class=\"card indicator\">\n<h3><a href=\"\(e("/tong-quan" + choice.query(indicator: .some(f.indicatorCode)) + "#don-vi"))\""
            cards += (f.indicatorCode == choice.indicator ? " aria-current=\"true\"" : "") + ">\(e(f.indicatorName))</a> <span class=\"code\">\(e(f.indicatorCode))</span></h3>\n"
            cards += "<dl class=\"figures\"><div><dt>Chỉ tiêu</dt><dd>\(e(f.target.map(WebFormat.integer) ?? "—")) \(e(f.measureUnit))</dd></div>"
            cards += "<div><dt>Đạt</dt><dd>\(e(WebFormat.integer(f.achieved)))</dd></div><div><dt>Tỷ lệ</dt><dd>\(e(f.rate.map(WebFormat.percent) ?? "—"))</dd></div></dl>\n"
            cards += ProgressChart.bar(rate: f.rate, status: f.status)
            cards += "\n<p><span class=\"status \(e(f.status.rawValue))\">\(e(Self.statusLabels[f.status] ?? ""))</span></p>\n</li>"
        }
        values["indicators"] = cards
        if reading.merged {
            values["merged"] = true
            values["reportedHref"] = "/tong-quan" + choice.query(onUnits: false)
            values["onUnitsHref"] = "/tong-quan" + choice.query(onUnits: true)
        }
        return values
    }

    /// The table of the child units (`childFigures`: every indicator of each) for the indicator
    /// chosen, sorted as chosen, with its sortable columns.
    static func rowValues(_ childFigures: [ProgressFigure], choice: Choice) -> [String: Any] {
        let done = Dictionary(grouping: childFigures, by: \.unitID).mapValues { list in
            (list.filter { $0.status == .completed }.count, list.filter { $0.status != .suspended && $0.status != .noTarget }.count)
        }
        var children = childFigures.filter { $0.indicatorCode == choice.indicator }
        let order = Dictionary(uniqueKeysWithValues: children.enumerated().map { ($1.unitID, $0) })
        func key(_ f: ProgressFigure) -> Double {
            switch choice.sort {
            case "target": Double(f.target ?? -1)
            case "achieved": Double(f.achieved)
            case "rate": f.rate ?? -1
            case "done": Double(done[f.unitID]?.0 ?? 0)
            default: Double(order[f.unitID]!)
            }
        }
        children.sort { a, b in
            let (x, y) = (key(a), key(b))
            if x == y { return order[a.unitID]! < order[b.unitID]! }
            return choice.descending ? x > y : x < y
        }
        var rows = ""
        for f in children {
            let e = Self.escape
            let d = done[f.unitID] ?? (0, 0)
            rows += "<tr><td><a href=\"\(e("/tong-quan" + choice.query(unit: .some(f.unitID))))\">\(e(f.unitName))</a></td>"
            rows += "<td class=\"num\">\(e(f.target.map(WebFormat.integer) ?? "—"))</td><td class=\"num\">\(e(WebFormat.integer(f.achieved)))</td>"
            rows += "<td class=\"num\">\(e(f.rate.map(WebFormat.percent) ?? "—"))</td><td class=\"num optional\">\(d.0)/\(d.1)</td>"
            rows += "<td><span class=\"status \(e(f.status.rawValue))\">\(e(Self.statusLabels[f.status] ?? ""))</span></td></tr>"
        }
        var values: [String: Any] = ["children": rows, "hasChildren": !children.isEmpty]
        if let first = children.first { values["childLevel"] = Self.levelPlural[first.unitLevel] ?? "Đơn vị" }
        values["columns"] = [("name", "Đơn vị"), ("target", "Chỉ tiêu"), ("achieved", "Đạt"), ("rate", "Tỷ lệ"), ("done", "Đạt 100%")].map {
            sortKey, label -> [String: Any] in
            let current = choice.sort == sortKey
            let nextDescending = current ? !choice.descending : sortKey != "name"
            return [
                "label": label, "href": "/tong-quan" + choice.query(sort: sortKey, descending: nextDescending) + "#don-vi",
                "numeric": sortKey != "name", "optional": sortKey == "done", "sort": current ? (choice.descending ? "descending" : "ascending") : "none",
                "arrow": current ? (choice.descending ? " ▼" : " ▲") : "",
            ]
        }
        return values
    }

    /// The yearly figures of the unit and indicator `code`, drawn by the server.
    func chart(_ code: String, title: String, unitID: Int64, choice: Choice, province: Int64, caller: Caller) async throws -> String {
        // The years at once, each on its own connection when not kept. Every indicator of the
        // year is read (one kept answer serves the chart of each indicator).
        let byYear = try await withThrowingTaskGroup(of: (Int, ProgressFigure?).self) { group in
            for y in choice.phase.years {
                group.addTask {
                    let figures = try await read(province: province, choice: choice, year: y, depth: 0, indicator: nil, caller: caller)
                    return (y, figures.first { $0.unitID == unitID && $0.indicatorCode == code })
                }
            }
            return try await group.reduce(into: [Int: ProgressFigure]()) { $0[$1.0] = $1.1 }
        }
        return ProgressChart.svg(choice.phase.years.map { (year: $0, figure: byYear[$0]) }, title: title)
    }

    /// The figures of the choice: as reported, or on today's units for a merged province.
    func read(province: Int64, choice: Choice, year: Int?, depth: Int, indicator: String?, caller: Caller) async throws -> [ProgressFigure] {
        if !choice.onUnits, let readable = choice.readable {
            return try await services.progress.figures(
                province: province, phaseCode: choice.phase.code, year: year, under: readable, depth: depth, indicatorCode: indicator, caller: caller)
        }
        let unit = choice.unit.map(UnitReference.id)
        if choice.onUnits {
            let c = Calendar.current.dateComponents(in: WebFormat.timeZone, from: Date())
            let today = PostgresDate(year: c.year ?? 2025, month: c.month ?? 1, day: c.day ?? 1)
            return try await services.progress.figuresOnUnits(
                province: province, phaseCode: choice.phase.code, asOf: today, year: year, unit: unit, depth: depth, indicatorCode: indicator,
                caller: caller
            ).figures
        }
        return try await services.progress.figures(
            province: province, phaseCode: choice.phase.code, year: year, unit: unit, depth: depth, indicatorCode: indicator, caller: caller)
    }

    /// The units from the top of the caller's scope to `top`, each a link (the last is the page itself).
    func breadcrumb(top: ProgressFigure, choice: Choice, province: Int64, caller: Caller) async throws -> [[String: Any]] {
        var trail: [(Int64?, String)] = [(choice.unit, top.unitName)]
        let roots = Set(caller.principal.grants.map(\.unitID))
        var parent = roots.contains(top.unitID) || choice.unit == nil ? nil : top.parentID
        // The units above, read with the unit (`ProgressStore.frame`) when it was asked for.
        let known = Dictionary((choice.readable?.trail ?? []).map { ($0.id, (id: $0.id, name: $0.name, parentID: $0.parentID)) }) { a, _ in a }
        let directory = UnitDirectory(database: services.database)
        while let id = parent, trail.count < 6 {
            let found: (id: Int64, name: String, parentID: Int64?)?
            if let unit = known[id] {
                found = unit
            } else {
                found = (try? await directory.unit(id: id, province: province, caller: caller)).map { ($0.id, $0.name, $0.parentID) }
            }
            guard let unit = found else { break }
            trail.insert((unit.id, unit.name), at: 0)
            parent = roots.contains(unit.id) ? nil : unit.parentID
        }
        return trail.enumerated().map { index, step in
            [
                "name": step.1, "last": index == trail.count - 1,
                "href": "/tong-quan" + choice.query(unit: .some(index == 0 && roots.contains(step.0 ?? -1) ? nil : step.0)),
            ]
        }
    }

    static let levelPlural: [UnitLevel: String] = [.province: "Tỉnh", .district: "Huyện, thị xã, thành phố", .commune: "Xã, phường, thị trấn", .village: "Thôn, tổ dân phố"]

    /// Text in HTML, escaped as the templates escape it (`{{name}}`), a byte at a time.
    static func escape(_ text: String) -> String {
        guard text.utf8.contains(where: { $0 == UInt8(ascii: "<") || $0 == UInt8(ascii: ">") || $0 == UInt8(ascii: "&") || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "'") }) else {
            return text
        }
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count + 16)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "<"): out += Array("&lt;".utf8)
            case UInt8(ascii: ">"): out += Array("&gt;".utf8)
            case UInt8(ascii: "&"): out += Array("&amp;".utf8)
            case UInt8(ascii: "\""): out += Array("&quot;".utf8)
            case UInt8(ascii: "'"): out += Array("&#39;".utf8)
            default: out.append(byte)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The statuses as the dashboard names them.
    static let statusLabels: [ProgressStatus: String] = [
        .completed: "đã hoàn thành", .onTrack: "đúng tiến độ", .behind: "chậm", .suspended: "tạm dừng", .noTarget: "chưa giao chỉ tiêu",
    ]

    static let emptyTemplate = WebTemplate("""
        <h1>Tổng quan</h1>
        <div class="card"><p>Tỉnh chưa có giai đoạn nào. Cán bộ quản trị tạo giai đoạn và giao chỉ tiêu trước.</p></div>
        """)

    static let noFiguresTemplate = WebTemplate("""
        <h1>Tổng quan</h1>
        <div class="card"><p>Chưa có số liệu tiến độ của giai đoạn {{phase}} trong phạm vi của bạn. Số liệu được tính lại mỗi đêm và sau khi kết quả được duyệt.</p></div>
        """)

    static let template = WebTemplate("""
        <nav class="breadcrumb" aria-label="Vị trí"><ol>
        {{#breadcrumb}}<li>{{#last}}<span aria-current="page">{{name}}</span>{{/last}}{{^last}}<a href="{{href}}">{{name}}</a>{{/last}}</li>{{/breadcrumb}}
        </ol></nav>
        <h1>{{unitName}} <span class="muted">— {{periodLabel}}</span></h1>
        <form class="filters card" method="get" action="/tong-quan">
        <div class="field"><label for="phase">Giai đoạn</label> <select id="phase" name="phase">{{#phases}}<option value="{{code}}"{{#selected}} selected{{/selected}}>{{code}}</option>{{/phases}}</select></div>
        <div class="field"><label for="year">Năm</label> <select id="year" name="year"><option value=""{{#wholePhase}} selected{{/wholePhase}}>Cả giai đoạn</option>{{#years}}<option value="{{year}}"{{#selected}} selected{{/selected}}>{{year}}</option>{{/years}}</select></div>
        {{#unit}}<input type="hidden" name="unit" value="{{unit}}">{{/unit}}
        {{#indicator}}<input type="hidden" name="indicator" value="{{indicator}}">{{/indicator}}
        {{#onUnits}}<input type="hidden" name="view" value="units">{{/onUnits}}
        <button type="submit">Xem</button>
        </form>
        {{#merged}}<div class="switch" aria-label="Cách tính">
        <a href="{{reportedHref}}" aria-current="{{^onUnits}}true{{/onUnits}}{{#onUnits}}false{{/onUnits}}">Như đã báo cáo</a>
        <a href="{{onUnitsHref}}" aria-current="{{#onUnits}}true{{/onUnits}}{{^onUnits}}false{{/onUnits}}">Theo đơn vị hiện nay</a>
        </div>{{/merged}}
        <p class="headline" id="tom-tat">{{headline}}{{#suspendedNote}} <span class="muted">({{suspendedNote}})</span>{{/suspendedNote}}</p>
        <ul class="indicators">
        {{{indicators}}}
        </ul>
        {{#chart}}<h2>Theo năm</h2>
        <div class="legend"><span><span class="swatch target"></span>Chỉ tiêu</span><span><span class="swatch achieved"></span>Đạt</span></div>
        {{{chart}}}{{/chart}}
        {{#hasChildren}}<h2 id="don-vi">{{childLevel}} — {{selectedName}}</h2>
        <div class="table-wrap"><table>
        <thead><tr>{{#columns}}<th scope="col" aria-sort="{{sort}}" class="{{#numeric}}num{{/numeric}}{{#optional}} optional{{/optional}}"><a href="{{href}}">{{label}}{{arrow}}</a></th>{{/columns}}<th scope="col">Tình trạng</th></tr></thead>
        <tbody>
        {{{children}}}
        </tbody></table></div>{{/hasChildren}}
        <p class="downloads">Tải về: <a href="{{xlsxHref}}">bảng tính Excel (.xlsx)</a> · <a href="{{csvHref}}">CSV</a></p>
        """)
}
