import ChitieuDomain
import ChitieuStore
import Foundation
import Hummingbird
import Postgres

/// Duyệt: the submitted results waiting for my decision, grouped by unit; approve one or many
/// at once (check boxes, one POST); return one with a reason or correct an approved one from its
/// own page (`/ket-qua/<id>`).
struct InboxController {
    let services: WebServices

    var results: ResultStore { ResultStore(database: services.database) }

    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.get("duyet") { request, context in try await inbox(request: request, context: context) }
        group.post("duyet") { _, context in try await approve(context: context) }
    }

    func inbox(request: Request, context: AppRequestContext) async throws -> Response {
        let (caller, province) = try context.province()
        let query = WebQuery(request)
        let waiting = try await results.awaitingDecision(province: province, caller: caller)
        let indicators = try await IndicatorStore(database: services.database).list(province: province, caller: caller)
        let byID = Dictionary(uniqueKeysWithValues: indicators.map { ($0.id, $0) })
        var order: [Int64] = []
        var groups: [Int64: [ResultRecord]] = [:]
        for r in waiting {
            if groups[r.unitID] == nil { order.append(r.unitID) }
            groups[r.unitID, default: []].append(r)
        }
        let values: [String: Any] = [
            "csrf": context.csrfToken, "empty": waiting.isEmpty, "count": waiting.count,
            "units": order.map { unit in
                let rows = groups[unit]!
                return [
                    "name": "\(rows[0].unitName) (\(rows[0].unitCode))",
                    "results": rows.map { r in
                        let indicator = byID[r.indicatorID]
                        var item: [String: Any] = [
                            "id": r.id.uuidString.lowercased(), "version": r.version, "href": ResultsPageController.path(r.id),
                            "indicator": indicator?.draft.name ?? r.indicatorCode, "period": ResultText.period(r.periodStart, r.periodEnd),
                            "value": "\(WebFormat.integer(r.figures.value)) \(indicator?.draft.measureUnit ?? "")",
                            "submitted": r.submittedAt.map(WebFormat.dateTime) ?? "",
                        ]
                        item["breakdown"] = r.figures.breakdown.map { ResultText.breakdown($0, order: indicator?.draft.disaggregation) }
                        item["note"] = r.figures.evidenceNote
                        return item
                    },
                ] as [String: Any]
            },
        ]
        var notice: String?
        if query["chua_chon"] != nil { notice = "Chưa chọn kết quả nào để duyệt." }
        if let done = query.integer("da_duyet") {
            notice = "Đã duyệt \(WebFormat.integer(done)) kết quả."
            if let failed = query.integer("khong_duyet"), failed > 0 {
                notice! += " \(WebFormat.integer(failed)) kết quả không duyệt được: kết quả đã thay đổi trong lúc bạn xem, hoặc chính bạn đã nhập hay gửi nó (người nhập không tự duyệt)."
            }
        }
        return WebLayout.response(
            WebPage(title: "Duyệt", section: .inbox, body: Self.template.render(values), notice: notice), context: context)
    }

    /// Approves the checked results, each at the version shown (`<id>:<version>`), in one
    /// transaction (`ResultStore.approve` of many): one that changed since, or that the caller may
    /// not approve, is left as it is and counted apart.
    func approve(context: AppRequestContext) async throws -> Response {
        let (caller, province) = try context.province()
        guard let form = context.form else { throw WebError.csrf }
        let chosen = form.values("chon").compactMap { item -> (id: UUID, version: Int)? in
            let parts = item.split(separator: ":")
            guard parts.count == 2, let id = UUID(uuidString: String(parts[0])), let version = Int(parts[1]) else { return nil }
            return (id, version)
        }
        var seen: Set<UUID> = []
        let items = Array(chosen.filter { seen.insert($0.id).inserted }.prefix(ResultStore.approvalBatchLimit))
        guard !items.isEmpty else { return WebLayout.redirect("/duyet?chua_chon=1") }
        let outcomes = try await results.approve(province: province, items, caller: caller)
        let done = outcomes.filter { if case .approved = $0.outcome { true } else { false } }.count
        let missing = outcomes.filter { $0.outcome == .notFound }.count
        // A single result from its own page: another province's or out of scope is the 404 page there.
        if items.count == 1, missing == 1 { throw WebError.notFound }
        if let back = form.text("ve"), items.count == 1, back == ResultsPageController.path(items[0].id) {
            return WebLayout.redirect(back + (done == 1 ? "?da=duyet" : "?da=khong-duyet"))
        }
        return WebLayout.redirect(
            "/duyet" + WebQuery.string([("da_duyet", String(done)), ("khong_duyet", done < items.count ? String(items.count - done) : nil)]))
    }

    static let template = WebTemplate("""
        <h1>Duyệt kết quả</h1>
        {{#empty}}<div class="card"><p>Không có kết quả nào chờ bạn duyệt.</p></div>{{/empty}}
        {{^empty}}
        <p>{{count}} kết quả chờ duyệt. Chọn những kết quả đã kiểm tra rồi bấm “Duyệt các kết quả đã chọn”; muốn trả lại, mở kết quả và ghi lý do.</p>
        <form method="post" action="/duyet">
        {{> csrf}}
        {{#units}}
        <fieldset class="card inbox-unit"><legend>{{name}}</legend>
        <ul class="inbox">
        {{#results}}<li><input type="checkbox" id="chon-{{id}}" name="chon" value="{{id}}:{{version}}">
        <label for="chon-{{id}}"><strong>{{indicator}}</strong> — {{period}}: {{value}}{{#breakdown}} ({{breakdown}}){{/breakdown}}</label>
        <span class="muted">Gửi lúc {{submitted}}{{#note}} · Minh chứng: {{note}}{{/note}}</span>
        <a href="{{href}}">Xem, trả lại</a></li>{{/results}}
        </ul>
        </fieldset>
        {{/units}}
        <div class="actions"><button type="submit">Duyệt các kết quả đã chọn</button></div>
        </form>
        {{/empty}}
        """)
}
