import Foundation

/// An audit event told as a sentence for people: "Lò Thị Hoà đã duyệt kết quả 3 tổ của Xã A Mú
/// Sung (quý IV/2025)" rather than `result.approve` and JSON. The one place that words the log,
/// for the web app, the API's `summary` and `chitieu audit list` alike.
public struct AuditSentence: Sendable, Hashable {
    /// What the sentence is made of: the event as stored and the names the store read beside it.
    public var action: String
    public var entityType: String
    public var entityID: String?
    /// JSON text of the state before, when there was one.
    public var before: String?
    /// JSON text of the state after.
    public var after: String?
    /// The actor's display name (or its label: a username, `cli:<command>`, `job:<id>`).
    public var actorName: String
    /// The name of the unit the event concerns, when it concerns one.
    public var unitName: String?
    /// The indicator's unit of measure (tổ, câu lạc bộ…), for results and targets.
    public var measureUnit: String?

    /// An event to word.
    public init(
        action: String, entityType: String, entityID: String?, before: String? = nil, after: String? = nil, actorName: String,
        unitName: String? = nil, measureUnit: String? = nil
    ) {
        self.action = action
        self.entityType = entityType
        self.entityID = entityID
        self.before = before
        self.after = after
        self.actorName = actorName
        self.unitName = unitName
        self.measureUnit = measureUnit
    }

    /// Every action the store writes today; each has its own sentence.
    public static let knownActions: [String] = [
        "account.create", "account.password", "account.enable", "account.disable",
        "grant.add", "grant.create", "grant.revoke", "session.open", "session.close", "token.issue", "token.revoke",
        "indicator.add", "indicator.update", "indicator.suspend", "indicator.resume",
        "units.import", "units.attributes", "units.succession", "units.succession_weights",
        "tenant.create", "tenant.import", "tenant.merge", "tenant.merged_into",
        "phase.plan", "target.set", "target.allocate", "allocation_rule.set", "allocation.request",
        "deadline.set", "deadline.exception", "province.district_allocation",
        "result.create", "result.submit", "result.update", "result.approve", "result.return", "result.correct",
        "result.correction_reason", "result.generate",
    ]

    /// The sentence in a language, without a final full stop.
    public func text(in language: Language) -> String {
        let vi = language == .vi
        let who = actorName
        let after = Self.object(self.after)
        let before = Self.object(self.before)
        let id = entityID ?? ""
        // "của Xã A" / "of Xã A", when the unit is known.
        let ofUnit = unitName.map { vi ? " của \($0)" : " of \($0)" } ?? ""
        let atUnit = unitName.map { vi ? " tại \($0)" : " at \($0)" } ?? ""
        switch action {
        // Results: the figure, the unit and the period.
        case "result.create", "result.submit", "result.update", "result.approve", "result.return", "result.correct":
            let figures = after ?? before ?? [:]
            let value = (figures["value"] as? Int).map { number($0, vi) + (measureUnit.map { " \($0)" } ?? "") }
            let what = (vi ? "kết quả" : "the result") + (value.map { " \($0)" } ?? "") + ofUnit + period(figures, vi)
            let reason = (after?["return_reason"] as? String).map { vi ? ": “\($0)”" : ": “\($0)”" } ?? ""
            switch action {
            case "result.create": return vi ? "\(who) đã nhập bản nháp \(what)" : "\(who) drafted \(what)"
            case "result.submit":
                return self.before == nil
                    ? (vi ? "\(who) đã nhập và gửi duyệt \(what)" : "\(who) entered and submitted \(what)")
                    : (vi ? "\(who) đã gửi duyệt \(what)" : "\(who) submitted \(what)")
            case "result.update": return vi ? "\(who) đã sửa \(what)" : "\(who) changed \(what)"
            case "result.approve": return vi ? "\(who) đã duyệt \(what)" : "\(who) approved \(what)"
            case "result.return": return vi ? "\(who) đã trả lại \(what)\(reason)" : "\(who) returned \(what)\(reason)"
            default: return vi ? "\(who) đã điều chỉnh \(what) (đã duyệt)" : "\(who) corrected \(what) (approved)"
            }
        case "result.correction_reason":
            let reason = (after?["reason"] as? String) ?? ""
            return vi ? "\(who) ghi lý do điều chỉnh kết quả\(ofUnit): “\(reason)”" : "\(who) gave the reason for correcting the result\(ofUnit): “\(reason)”"
        case "result.generate":
            let count = (after?["count"] as? Int) ?? (after?["results"] as? Int)
            let n = count.map { " " + number($0, vi) } ?? ""
            return vi ? "\(who) đã sinh\(n) kết quả mẫu" : "\(who) generated\(n) sample results"
        // Accounts, roles, sessions and tokens.
        case "account.create": return vi ? "\(who) đã tạo tài khoản \(id)\(atUnit)" : "\(who) created the account \(id)\(atUnit)"
        case "account.password": return vi ? "\(who) đã đặt lại mật khẩu của tài khoản \(id)" : "\(who) set a new password for \(id)"
        case "account.enable": return vi ? "\(who) đã mở lại tài khoản \(id)" : "\(who) enabled the account \(id)"
        case "account.disable": return vi ? "\(who) đã khoá tài khoản \(id)" : "\(who) disabled the account \(id)"
        case "grant.add", "grant.create":
            let role = ((after?["role"] as? String).map { Self.role($0, vi) }) ?? (vi ? "một vai trò" : "a role")
            let user = (after?["username"] as? String).map { vi ? " cho \($0)" : " to \($0)" } ?? ""
            return vi ? "\(who) đã cấp quyền \(role)\(user)\(atUnit)" : "\(who) granted the role \(role)\(user)\(atUnit)"
        case "grant.revoke":
            let object = before ?? after ?? [:]
            let role = ((object["role"] as? String).map { Self.role($0, vi) }) ?? (vi ? "một vai trò" : "a role")
            let user = (object["username"] as? String).map { vi ? " của \($0)" : " from \($0)" } ?? ""
            return vi ? "\(who) đã thu hồi quyền \(role)\(user)\(atUnit)" : "\(who) revoked the role \(role)\(user)\(atUnit)"
        case "session.open": return vi ? "\(who) đã đăng nhập" : "\(who) signed in"
        case "session.close": return vi ? "\(who) đã đăng xuất" : "\(who) signed out"
        case "token.issue": return vi ? "\(who) đã cấp một mã truy cập tích hợp" : "\(who) issued an integration token"
        case "token.revoke": return vi ? "\(who) đã thu hồi một mã truy cập" : "\(who) revoked a token"
        // Indicators.
        case "indicator.add":
            let name = (after?["name"] as? String).map { " “\($0)”" } ?? ""
            return vi ? "\(who) đã thêm chỉ tiêu \(id)\(name)" : "\(who) added the indicator \(id)\(name)"
        case "indicator.update": return vi ? "\(who) đã sửa chỉ tiêu \(id)" : "\(who) changed the indicator \(id)"
        case "indicator.suspend":
            let from = (after?["suspended_from"] as? String).flatMap { CalendarDate(iso: $0) }.map { vi ? " từ \(Self.date($0, vi))" : " from \(Self.date($0, vi))" } ?? ""
            let reason = (after?["suspended_reason"] as? String).map { vi ? " (lý do: \($0))" : " (reason: \($0))" } ?? ""
            return vi ? "\(who) đã tạm dừng chỉ tiêu \(id)\(from)\(reason)" : "\(who) suspended the indicator \(id)\(from)\(reason)"
        case "indicator.resume": return vi ? "\(who) đã cho chỉ tiêu \(id) hoạt động trở lại" : "\(who) resumed the indicator \(id)"
        // Units and provinces.
        case "units.import": return vi ? "\(who) đã nhập danh mục đơn vị hành chính" : "\(who) imported the administrative units"
        case "units.attributes": return vi ? "\(who) đã cập nhật thuộc tính của các đơn vị" : "\(who) updated the units' attributes"
        case "units.succession": return vi ? "\(who) đã ghi nhận sắp xếp đơn vị hành chính" : "\(who) recorded a reorganisation of units"
        case "units.succession_weights":
            return vi ? "\(who) đã đặt tỷ lệ chia của đơn vị \(id)" : "\(who) set the split weights of the unit \(id)"
        case "tenant.create": return vi ? "\(who) đã tạo tỉnh" : "\(who) created the province"
        case "tenant.import": return vi ? "\(who) đã nhập dữ liệu của tỉnh" : "\(who) imported the province's data"
        case "tenant.merge": return vi ? "\(who) đã hợp nhất tỉnh \(id) vào tỉnh này" : "\(who) merged the province \(id) into this one"
        case "tenant.merged_into": return vi ? "\(who) đã hợp nhất tỉnh này vào tỉnh khác" : "\(who) merged this province into another"
        case "province.district_allocation":
            let on = (after?["district_allocation"] as? Bool) ?? false
            return vi
                ? (on ? "\(who) đã cho phép cấp huyện phân bổ chỉ tiêu cho xã" : "\(who) đã thôi cho cấp huyện phân bổ chỉ tiêu cho xã")
                : (on ? "\(who) let district officers plan their communes" : "\(who) stopped district officers planning their communes")
        // Planning.
        case "phase.plan": return vi ? "\(who) đã lập kế hoạch giai đoạn \(id)" : "\(who) planned the phase \(id)"
        case "target.set":
            let parts = id.split(separator: "/").map(String.init)
            let value = (after?["value"] as? Int).map { " " + number($0, vi) + (measureUnit.map { " \($0)" } ?? "") } ?? ""
            let indicator = parts.first.map { vi ? " \($0)" : " \($0)" } ?? ""
            let when = parts.count == 4 ? (parts[3] == "phase" ? (vi ? " (giai đoạn \(parts[1]))" : " (phase \(parts[1]))") : (vi ? " (năm \(parts[3]))" : " (year \(parts[3]))")) : ""
            let locked = (after?["locked"] as? Bool) == true ? (vi ? ", khoá" : ", locked") : ""
            return vi ? "\(who) đã đặt chỉ tiêu\(indicator)\(value)\(ofUnit)\(when)\(locked)" : "\(who) set the target\(indicator)\(value)\(ofUnit)\(when)\(locked)"
        case "target.allocate":
            let cells = (after?["changed"] as? Int).map { vi ? ": \(number($0, vi)) ô thay đổi" : ": \(number($0, vi)) cells changed" } ?? ""
            return vi ? "\(who) đã phân bổ chỉ tiêu \(id)\(cells)" : "\(who) allocated the targets \(id)\(cells)"
        case "allocation_rule.set":
            return vi ? "\(who) đã đặt cách phân bổ \(id)\(ofUnit)" : "\(who) set the allocation rule \(id)\(ofUnit)"
        case "allocation.request": return vi ? "\(who) đã yêu cầu phân bổ chỉ tiêu" : "\(who) asked for an allocation"
        case "deadline.set":
            let closes = (after?["closes_on"] as? String).flatMap { CalendarDate(iso: $0) }.map { vi ? ": hạn \(Self.date($0, vi))" : ": closes on \(Self.date($0, vi))" } ?? ""
            return vi ? "\(who) đã đặt hạn báo cáo năm \(id)\(closes)" : "\(who) set the reporting deadline of \(id)\(closes)"
        case "deadline.exception":
            return vi ? "\(who) đã gia hạn báo cáo\(ofUnit)" : "\(who) extended the reporting deadline\(ofUnit)"
        default:
            // An action this version does not word: said plainly, never dropped.
            let entity = entityID.map { " \(entityType) \($0)" } ?? " \(entityType)"
            return vi ? "\(who): \(action)\(entity)" : "\(who): \(action)\(entity)"
        }
    }

    static func object(_ text: String?) -> [String: Any]? {
        guard let text else { return nil }
        return (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any]
    }

    func number(_ n: Int, _ vi: Bool) -> String {
        vi ? MessageCatalogue.grouped(n) : n.formatted(.number.grouping(.automatic).locale(Locale(identifier: "en_US")))
    }

    /// " (quý IV/2025)", or the days when the period is not a named one.
    func period(_ figures: [String: Any], _ vi: Bool) -> String {
        guard let s = (figures["period_start"] as? String).flatMap({ CalendarDate(iso: $0) }),
              let e = (figures["period_end"] as? String).flatMap({ CalendarDate(iso: $0) }) else { return "" }
        guard let named = ReportingPeriod.exactly(s, e) else {
            return " (\(Self.date(s, vi)) – \(Self.date(e, vi)))"
        }
        if vi {
            let label = named.label
            return " (\(label.prefix(1).lowercased() + label.dropFirst()))"
        }
        switch named.kind {
        case .year: return " (year \(named.year))"
        case .half: return " (H\(named.number) \(named.year))"
        case .quarter: return " (Q\(named.number) \(named.year))"
        case .month: return " (\(named.year)-\(named.number < 10 ? "0" : "")\(named.number))"
        }
    }

    static func date(_ d: CalendarDate, _ vi: Bool) -> String {
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return vi ? "\(two(d.day))/\(two(d.month))/\(d.year)" : d.description
    }

    static func role(_ raw: String, _ vi: Bool) -> String {
        guard vi else { return raw }
        switch raw {
        case "province": return "cán bộ tỉnh"
        case "district": return "cán bộ huyện"
        case "commune": return "cán bộ xã"
        case "viewer": return "người xem"
        default: return raw
        }
    }
}
