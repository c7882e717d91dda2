import ChitieuDomain
import ChitieuStore
import Foundation
import Hummingbird

/// Nhật ký: the audit log of my scope in sentences, newest first, filtered by unit, kind of
/// entity, person and days, 50 a page; the raw before and after of each event one click away.
/// The store decides who may read it (the rule of `GET /v1/audit`).
struct AuditPageController {
    let services: WebServices

    static let pageSize = 50

    /// The kinds of entity the filter offers, with their names for officers.
    static let entities: [(value: String, label: String)] = [
        ("result", "Kết quả"), ("target", "Chỉ tiêu kế hoạch"), ("allocation_rule", "Cách phân bổ"), ("job", "Yêu cầu phân bổ"),
        ("indicator", "Chỉ tiêu"), ("phase", "Giai đoạn"), ("reporting_deadline", "Hạn báo cáo"), ("deadline_exception", "Gia hạn báo cáo"),
        ("account", "Tài khoản"), ("grant", "Quyền"), ("token", "Phiên và mã truy cập"), ("admin_unit", "Đơn vị hành chính"),
        ("province", "Tỉnh"),
    ]

    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.get("nhat-ky") { request, context in try await list(request: request, context: context) }
    }

    /// Whether the caller's roles let them read some of the audit log (the navigation shows the
    /// page to them only): the policy asked at each grant's own unit.
    static func mayRead(_ caller: Caller?) -> Bool {
        guard let caller, case .account(let province) = caller.principal.kind else { return false }
        return caller.principal.grants.contains { Policy.decide(caller.principal, .readAudit, .unit(province, path: [$0.unitID])) == .allow }
    }

    func list(request: Request, context: AppRequestContext) async throws -> Response {
        let (caller, province) = try context.province()
        let query = WebQuery(request)
        let unitID = try query.id("don_vi")
        let entity = query["loai"].flatMap { value in Self.entities.contains { $0.value == value } ? value : nil }
        let person = query["nguoi"].map { String($0.prefix(100)) }
        let beforeID = query["sau"].flatMap { Int64($0) }.flatMap { $0 > 0 ? $0 : nil }
        var errors = WebFormErrors()
        let from = Self.day(query["tu"], field: "tu", errors: &errors)
        let to = Self.day(query["den"], field: "den", errors: &errors)
        let events = try await AuditStore(database: services.database).list(
            province: province,
            filter: AuditStore.Filter(
                entityType: entity, since: from.map(Self.startOfDay), until: to.map { Self.startOfDay($0).addingTimeInterval(86_400) }, unitID: unitID,
                actorUsername: person, beforeID: beforeID, limit: Self.pageSize),
            caller: caller)
        let units = (try? await ResultStore(database: services.database).reportingUnits(
            province: province, levels: Set(UnitLevel.allCases), caller: caller)) ?? []
        var values: [String: Any] = [
            "entities": Self.entities.map { ["value": $0.value, "label": $0.label, "selected": $0.value == entity] as [String: Any] },
            "units": units.map { ["id": $0.id, "label": ResultEntryController.unitLabel($0), "selected": $0.id == unitID] as [String: Any] },
            "hasUnits": !units.isEmpty, "unit": unitID.map(String.init) ?? "",
            "person": person ?? "", "from": query["tu"] ?? "", "to": query["den"] ?? "",
            "rows": events.map { e in
                var row: [String: Any] = [
                    "at": WebFormat.dateTime(e.at), "sentence": e.summary(in: .vi), "action": e.action,
                    "entity": e.entityType + (e.entityID.map { " \($0)" } ?? ""), "actor": e.actorLabel,
                ]
                if let before = e.before { row["before"] = Self.pretty(before) }
                if let after = e.after { row["after"] = Self.pretty(after) }
                return row
            },
            "empty": events.isEmpty,
        ]
        if let error = errors["tu"] { values["fromError"] = error }
        if let error = errors["den"] { values["toError"] = error }
        if events.count == Self.pageSize, let last = events.last {
            values["next"] = "/nhat-ky" + WebQuery.string([
                ("don_vi", unitID.map(String.init)), ("loai", entity), ("nguoi", person), ("tu", query["tu"]), ("den", query["den"]),
                ("sau", String(last.id)),
            ])
        }
        var page = WebPage(title: "Nhật ký", section: .audit, body: Self.template.render(values))
        if !errors.isEmpty { page.status = .unprocessableContent }
        return WebLayout.response(page, context: context)
    }

    /// A day typed as dd/mm/yyyy; nil when empty, and an error beside the field when not a day.
    static func day(_ text: String?, field: String, errors: inout WebFormErrors) -> CalendarDate? {
        guard let text else { return nil }
        guard let day = CalendarDate(dayMonthYear: text) else {
            errors.add(field, "“\(text.prefix(30))” không phải là một ngày dạng ngày/tháng/năm, ví dụ 24/10/2025.")
            return nil
        }
        return day
    }

    /// Midnight of a day in Vietnam (UTC+7), where officers' days begin.
    static func startOfDay(_ day: CalendarDate) -> Date {
        var components = DateComponents(year: day.year, month: day.month, day: day.day)
        components.timeZone = TimeZone(secondsFromGMT: 7 * 3600)
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = components.timeZone!
        return calendar.date(from: components) ?? Date(timeIntervalSince1970: 0)
    }

    /// JSON text indented for reading.
    static func pretty(_ json: String) -> String {
        guard let object = try? JSONSerialization.jsonObject(with: Data(json.utf8), options: [.fragmentsAllowed]),
              let data = try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes, .fragmentsAllowed])
        else { return json }
        return String(decoding: data, as: UTF8.self)
    }

    static let template = WebTemplate("""
        <h1>Nhật ký</h1>
        <form class="filters card" method="get" action="/nhat-ky">
        {{#hasUnits}}<div class="field"><label for="loc-don-vi">Đơn vị</label> <select id="loc-don-vi" name="don_vi"><option value="">Tất cả</option>{{#units}}<option value="{{id}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/units}}</select></div>{{/hasUnits}}
        {{^hasUnits}}{{#unit}}<input type="hidden" name="don_vi" value="{{unit}}">{{/unit}}{{/hasUnits}}
        <div class="field"><label for="loc-loai">Loại</label> <select id="loc-loai" name="loai"><option value="">Tất cả</option>{{#entities}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/entities}}</select></div>
        <div class="field"><label for="loc-nguoi">Người thực hiện (tên đăng nhập)</label> <input id="loc-nguoi" name="nguoi" value="{{person}}" maxlength="100"></div>
        <div class="field"><label for="loc-tu">Từ ngày</label> <input id="loc-tu" name="tu" value="{{from}}" placeholder="dd/mm/yyyy" inputmode="numeric"{{#fromError}} aria-invalid="true" aria-describedby="loc-tu-loi"{{/fromError}}>{{#fromError}} <span class="field-error" id="loc-tu-loi">{{fromError}}</span>{{/fromError}}</div>
        <div class="field"><label for="loc-den">Đến ngày</label> <input id="loc-den" name="den" value="{{to}}" placeholder="dd/mm/yyyy" inputmode="numeric"{{#toError}} aria-invalid="true" aria-describedby="loc-den-loi"{{/toError}}>{{#toError}} <span class="field-error" id="loc-den-loi">{{toError}}</span>{{/toError}}</div>
        <button type="submit" class="secondary">Lọc</button>
        </form>
        {{#empty}}<div class="card"><p>Không có sự kiện nào phù hợp.</p></div>{{/empty}}
        {{^empty}}
        <ol class="audit-log">
        {{#rows}}<li class="card"><p><time>{{at}}</time> — {{sentence}}</p>
        <details><summary>Dữ liệu gốc</summary>
        <p class="muted">{{action}} · {{entity}} · {{actor}}</p>
        {{#before}}<p>Trước:</p><pre>{{before}}</pre>{{/before}}
        {{#after}}<p>Sau:</p><pre>{{after}}</pre>{{/after}}
        </details></li>{{/rows}}
        </ol>
        {{/empty}}
        {{#next}}<p><a class="button secondary" href="{{next}}">Trang sau</a></p>{{/next}}
        """)
}
