import ChitieuDomain
import ChitieuStore
import Foundation
import Hummingbird

/// `/chi-tieu/phan-bo/<job id>`: an allocation's job until it ends (the page loads itself again
/// every two seconds, without script), then the new sheet, or the refusal with the job's error.
extension PlanningPageController {
    static let refreshSeconds = 2

    func job(request: Request, context: AppRequestContext) async throws -> Response {
        let (caller, province) = try context.province()
        guard let id = Int64(try context.parameters.require("id")), id > 0 else { throw WebError.notFound }
        let query = WebQuery(request)
        let selection = PlanningSelection(phase: query["phase"], indicatorID: try query.id("indicator"), unitID: try query.id("unit"))
        let job = try await ProvinceJobs(database: services.database).find(id: id, province: province, caller: caller)
        guard job.kind == AllocateJob.kind else { throw WebError.notFound }
        if job.state == .succeeded { return WebLayout.redirect(selection.href(done: "phan-bo")) }
        var values: [String: Any] = ["id": job.id, "back": selection.href(), "created": WebFormat.dateTime(job.createdAt)]
        var page = WebPage(title: "Phân bổ chỉ tiêu", section: .targets, body: "")
        switch job.state {
        case .failed, .cancelled:
            values["refused"] = true
            values["error"] = job.lastError ?? "Công việc đã bị huỷ."
        default:
            values["running"] = true
            values["state"] = job.state == .running ? "Đang phân bổ" : "Đang chờ phân bổ"
            if let error = job.lastError { values["retrying"] = error }
            page.refreshSeconds = Self.refreshSeconds
            values["here"] = "\(Self.path)/phan-bo/\(job.id)" + WebQuery.string([
                ("phase", selection.phase), ("indicator", selection.indicatorID.map(String.init)), ("unit", selection.unitID.map(String.init)),
            ])
        }
        page.body = Self.jobTemplate.render(values)
        return WebLayout.response(page, context: context)
    }

    static let jobTemplate = WebTemplate("""
        <h1>Phân bổ chỉ tiêu <span class="muted">— yêu cầu số {{id}}</span></h1>
        {{#running}}<div class="card" role="status"><p><strong>{{state}}…</strong> Yêu cầu lúc {{created}}. Trang tự tải lại sau vài giây và hiện bảng chỉ tiêu mới khi xong.</p>
        {{#retrying}}<p>Lần chạy trước chưa thành công; hệ thống đang thử lại. Lỗi lần trước: <span lang="en">{{retrying}}</span></p>{{/retrying}}
        <p><a class="button secondary" href="{{here}}">Tải lại ngay</a></p></div>{{/running}}
        {{#refused}}<div class="errors" role="alert"><p>Không phân bổ được: các ô đã khoá, mức tối thiểu hoặc trọng số không thể cùng thoả mãn. Chỉ tiêu chưa thay đổi.</p>
        <p class="detail">Chi tiết (đơn vị và số liệu): <span lang="en">{{error}}</span></p></div>{{/refused}}
        <p><a href="{{back}}">← Về bảng chỉ tiêu</a></p>
        """)
}
