import ChitieuDomain
import ChitieuStore
import Foundation
import Hummingbird

/// Cán bộ: the accounts of my scope the policy lets me manage (`AccountStore.list`, never above
/// my own role); create an officer with a password to hand over, and on each account's page
/// disable, enable, reset the password, give and revoke roles, issue and revoke integration
/// tokens. Every secret is shown once, on the answer to the form that made it.
struct OfficersPageController {
    let services: WebServices

    var accounts: AccountStore { services.accounts }

    static let path = "/can-bo"

    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.get("can-bo") { request, context in
            try await list(context: context, notice: WebQuery(request)["da"] == "tao" ? "Đã tạo tài khoản." : nil)
        }
        group.post("can-bo") { _, context in try await create(context: context) }
        group.get("can-bo/:id") { request, context in
            try await account(try Self.accountID(context), context: context, notice: Self.notice(WebQuery(request)["da"]))
        }
        group.post("can-bo/:id/vo-hieu") { _, context in try await setStatus(.disabled, context: context) }
        group.post("can-bo/:id/kich-hoat") { _, context in try await setStatus(.active, context: context) }
        group.post("can-bo/:id/mat-khau") { _, context in try await resetPassword(context: context) }
        group.post("can-bo/:id/quyen") { _, context in try await grant(context: context) }
        group.post("can-bo/:id/quyen/:grant/thu-hoi") { _, context in try await revokeGrant(context: context) }
        group.post("can-bo/:id/ma-truy-cap") { _, context in try await issueToken(context: context) }
        group.post("can-bo/:id/ma-truy-cap/:token/thu-hoi") { _, context in try await revokeToken(context: context) }
    }

    /// Whether the navigation lists Cán bộ for a caller: the policy asked, at each of its grants'
    /// units, whether it may manage an account there.
    static func mayManage(_ caller: Caller?) -> Bool {
        guard let caller, case .account(let province) = caller.principal.kind else { return false }
        return caller.principal.grants.contains {
            Policy.decide(caller.principal, .manageAccount(highestRole: nil), .unit(province, path: [$0.unitID])) == .allow
        }
    }

    /// The roles the caller may give somewhere in its scope (the choices of a form).
    static func givableRoles(_ caller: Caller) -> [Role] {
        let order: [Role] = [.commune, .district, .province, .viewer]
        guard case .account(let province) = caller.principal.kind else { return order }
        return order.filter { role in
            caller.principal.grants.contains { Policy.decide(caller.principal, .grant(role), .unit(province, path: [$0.unitID])) == .allow }
        }
    }

    static func accountID(_ context: AppRequestContext) throws -> UUID {
        guard let id = context.parameters.get("id").flatMap(UUID.init(uuidString:)) else { throw WebError.notFound }
        return id
    }

    static func notice(_ done: String?) -> String? {
        switch done {
        case "vo-hieu": "Đã vô hiệu hoá tài khoản; các phiên và mã truy cập của tài khoản đã bị thu hồi."
        case "kich-hoat": "Đã kích hoạt lại tài khoản."
        case "quyen": "Đã giao vai trò."
        case "thu-hoi": "Đã thu hồi vai trò."
        case "thu-hoi-ma": "Đã thu hồi mã truy cập."
        default: nil
        }
    }

    /// The page of the list, with the creation form (again with its errors, 422).
    func list(context: AppRequestContext, notice: String? = nil, errors: WebFormErrors = WebFormErrors(), typed: WebForm? = nil) async throws -> Response {
        let (caller, province) = try context.province()
        guard Self.mayManage(caller) else { throw WebError.forbidden }
        let units = try await Self.units(services, province: province, caller: caller)
        let names = Dictionary(units.map { ($0.id, $0.name) }) { a, _ in a }
        let list = try await accounts.list(province: province, caller: caller).filter { $0.id != caller.account?.id }
        var values: [String: Any] = [
            "csrf": context.csrfToken, "empty": list.isEmpty, "count": list.count,
            "accounts": list.map { a -> [String: Any] in
                var item: [String: Any] = ["href": "\(Self.path)/\(a.id.uuidString.lowercased())", "username": a.username, "name": a.displayName]
                if let home = a.homeUnitID, let name = names[home] { item["unit"] = name }
                if a.status == .disabled { item["disabled"] = true }
                return item
            },
        ]
        values.merge(Self.formValues(caller: caller, units: units, typed: typed, errors: errors)) { _, new in new }
        var page = WebPage(title: "Cán bộ", section: .officers, body: Self.listTemplate.render(values), notice: notice)
        if !errors.isEmpty { page.status = .unprocessableContent }
        return WebLayout.response(page, context: context)
    }

    /// The units of the caller's scope, for the forms' choices.
    static func units(_ services: WebServices, province: Int64, caller: Caller) async throws -> [ReportingUnit] {
        try await ResultStore(database: services.database).reportingUnits(province: province, levels: Set(UnitLevel.allCases), caller: caller)
    }

    /// The choices of units and roles, what was typed, and the errors beside their fields.
    static func formValues(caller: Caller, units: [ReportingUnit], typed: WebForm?, errors: WebFormErrors) -> [String: Any] {
        let unit = typed?.text("don_vi")
        let role = typed?.text("vai_tro")
        var values: [String: Any] = [
            "units": units.map { ["id": $0.id, "label": ResultEntryController.unitLabel($0), "selected": String($0.id) == unit] as [String: Any] },
            "roles": givableRoles(caller).map { ["value": $0.rawValue, "label": label($0), "selected": $0.rawValue == role] as [String: Any] },
            "typedUsername": typed?["ten_dang_nhap"] ?? "", "typedName": typed?["ho_ten"] ?? "",
            "create": ["prefix": "tao"], "grantForm": ["prefix": "quyen"],
        ]
        values.merge(errors.values) { _, new in new }
        for (field, message) in errors.items { values["error_" + field] = message }
        return values
    }

    /// A role as the forms name it.
    static func label(_ role: Role) -> String {
        switch role {
        case .province: "Cán bộ tỉnh"
        case .district: "Cán bộ huyện"
        case .commune: "Cán bộ xã"
        case .viewer: "Người xem"
        }
    }

    /// The form's field for a store field name.
    static func formField(_ name: String) -> String {
        switch name {
        case "username": "ten_dang_nhap"
        case "display_name": "ho_ten"
        case "home_unit", "unit", "unit_id": "don_vi"
        case "role": "vai_tro"
        case "name": "ten_ma"
        case "expires", "expires_in_days": "so_ngay"
        default: "form"
        }
    }

    /// A refusal about a form as (field, message), or the error again when it is not about the form.
    static func refusal(_ error: any Error) throws -> (field: String, message: String) {
        guard let refusal = ResultText.fieldMessage(error) else { throw error }
        return (formField((error as? ChitieuError)?.field ?? refusal.field), refusal.message)
    }

    /// `POST /can-bo`: a new officer with a role at its unit and a password made here, shown once.
    func create(context: AppRequestContext) async throws -> Response {
        let (caller, province) = try context.province()
        guard let form = context.form else { throw WebError.csrf }
        var errors = WebFormErrors()
        let unit = try PlanningSelection.id(form.text("don_vi"))
        let role = form.text("vai_tro").flatMap(Role.init(rawValue:))
        if role == nil { errors.add("vai_tro", "Hãy chọn vai trò của cán bộ.") }
        if form.text("ten_dang_nhap") == nil { errors.add("ten_dang_nhap", "Cần nhập tên đăng nhập.") }
        if form.text("ho_ten") == nil { errors.add("ho_ten", "Cần nhập họ và tên.") }
        if errors.isEmpty, let role {
            do {
                let password = try AccountStore.temporaryPassword()
                let account = try await accounts.create(
                    province: province, username: form.text("ten_dang_nhap") ?? "", displayName: form.text("ho_ten") ?? "",
                    homeUnit: unit.map(Reference.id), password: password, role: role, caller: caller)
                return try await self.account(account.id, context: context, secret: .password(password))
            } catch {
                let (field, message) = try Self.refusal(error)
                errors.add(field, message)
            }
        }
        return try await list(context: context, errors: errors, typed: form)
    }
}
