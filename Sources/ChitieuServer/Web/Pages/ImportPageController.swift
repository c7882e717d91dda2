import ChitieuDomain
import ChitieuStore
import ChitieuWorkbook
import Foundation
import Hummingbird

/// Nhập từ Excel: the template to fill in (the same file as `GET /v1/imports/template`), a file
/// uploaded and checked (the dry run: counts and every row's problem, nothing written), then
/// imported on the officer's confirmation, as drafts or submitted — through `ImportStore`, as
/// `POST /v1/imports` and `chitieu result import` do. The uploaded file is kept in
/// `chitieu.import_upload` between the two steps; the confirmation form carries only its id.
struct ImportPageController {
    let services: WebServices

    var imports: ImportStore { ImportStore(database: services.database) }

    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.get("nhap-excel") { _, context in
            try await page(context, report: nil)
        }
        group.get("nhap-excel/mau") { request, context in
            let (caller, province) = try Self.importer(context)
            let query = QueryInput(request)
            let format = try query.oneOf("format", ["xlsx", "csv"]).flatMap(ImportTemplate.Format.init(rawValue:)) ?? .xlsx
            let file = try await ImportsController.template(query, imports: imports, province: province, caller: caller).file(format)
            return ImportsController.fileResponse(file)
        }
        group.post("nhap-excel/kiem-tra") { _, context in
            try await check(context)
        }
        group.post("nhap-excel/nhap") { _, context in
            try await confirm(context)
        }
    }

    /// Whether the caller may import: results at a unit of a grant, or targets (the policy asked at its grants).
    static func mayImport(_ caller: Caller?) -> Bool {
        guard let caller, case .account(let province) = caller.principal.kind else { return false }
        return caller.principal.grants.contains { grant in
            [Action.submitResult, .setTarget].contains { Policy.decide(caller.principal, $0, .unit(province, path: [grant.unitID])) == .allow }
        }
    }

    /// The caller and province, or the 403 page for an officer who may not import.
    static func importer(_ context: AppRequestContext) throws -> (Caller, Int64) {
        let (caller, province) = try context.province()
        guard mayImport(caller) else { throw WebError.forbidden }
        return (caller, province)
    }

    /// The dry run of an uploaded file: kept, checked, and the report with the confirmation form.
    func check(_ context: AppRequestContext) async throws -> Response {
        let (caller, province) = try Self.importer(context)
        let form = context.form ?? WebForm(fields: [])
        guard let file = form.files["file"], !file.data.isEmpty else {
            return try await page(context, report: nil, problem: "Hãy chọn tệp Excel (.xlsx) hoặc CSV để gửi.", status: .unprocessableContent)
        }
        let kind = form.text("kind").flatMap(ImportKind.init(rawValue:)) ?? .results
        let phase = kind == .targets ? form.text("phase") : nil
        if kind == .targets, phase == nil {
            return try await page(context, report: nil, problem: "Hãy chọn giai đoạn của chỉ tiêu.", status: .unprocessableContent)
        }
        let upload = try await imports.keep(province: province, kind: kind, phase: phase, filename: file.filename, file: file.data, caller: caller)
        return try await run(upload, dryRun: true, submit: false, context: context, caller: caller, province: province)
    }

    /// The import of a kept upload, on the officer's confirmation.
    func confirm(_ context: AppRequestContext) async throws -> Response {
        let (caller, province) = try Self.importer(context)
        let form = context.form ?? WebForm(fields: [])
        guard let id = form.text("upload").flatMap(UUID.init(uuidString:)) else { throw WebError.notFound }
        let upload = try await imports.upload(province: province, id: id, caller: caller)
        return try await run(upload, dryRun: false, submit: form.text("state") == "submitted", context: context, caller: caller, province: province)
    }

    /// Runs the store's import (or dry run) of an upload and answers the page with its report; a
    /// file that cannot be read at all is shown as the form's problem.
    func run(
        _ upload: ImportUpload, dryRun: Bool, submit: Bool, context: AppRequestContext, caller: Caller, province: Int64
    ) async throws -> Response {
        let form = ImportForm(file: upload.bytes, kind: upload.kind, dryRun: dryRun, submit: submit, phase: upload.phase)
        do {
            let report = try await ImportsController.run(form, imports: imports, province: province, caller: caller)
            return try await page(context, report: ImportPageReport(upload: upload, report: report, submit: submit))
        } catch let error as ChitieuError where error.code == .invalid || error.code == .malformed {
            return try await page(context, report: nil, problem: error.message(in: .vi), status: .unprocessableContent)
        }
    }
}

/// What the page shows of a dry run or an import.
struct ImportPageReport {
    var upload: ImportUpload
    var report: ImportReport
    var submit: Bool

    /// The values of the report's part of the template.
    var values: [String: Any] {
        let r = report
        var values: [String: Any] = [
            "id": upload.id.uuidString.lowercased(), "filename": upload.filename, "rows": WebFormat.integer(r.rows),
            "recorded": WebFormat.integer(r.recorded), "unchanged": WebFormat.integer(r.unchanged), "dryRun": r.dryRun,
            "accepted": r.accepted, "hasProblems": !r.accepted, "problemCount": WebFormat.integer(r.problems.count),
            "results": r.kind == .results,
            "kindLabel": r.kind == .results ? "kết quả" : "chỉ tiêu giai đoạn \(upload.phase ?? "")",
        ]
        values["problems"] = r.problems.map { problem -> [String: Any] in
            let title = ImportColumn.title(of: problem.field)
            let column = [problem.column, title].compactMap { $0 }.joined(separator: " · ")
            return ["sheet": problem.sheet, "row": problem.row, "column": column.isEmpty ? "—" : column, "message": problem.error.message(in: .vi)]
        }
        values["imported"] = !r.dryRun && r.accepted
        values["confirm"] = r.dryRun && r.accepted && r.recorded > 0
        values["nothingNew"] = r.dryRun && r.accepted && r.recorded == 0
        return values
    }

    /// The notice after an import.
    var notice: String? {
        guard !report.dryRun, report.accepted else { return nil }
        if report.recorded == 0 {
            return "Không có gì mới để nhập: \(WebFormat.integer(report.unchanged)) dòng đã có từ trước nên được giữ nguyên."
        }
        let state = report.kind == .results ? (submit ? " (đã gửi duyệt)" : " (bản nháp)") : ""
        let kept = report.unchanged > 0 ? "; \(WebFormat.integer(report.unchanged)) dòng đã có từ trước nên được giữ nguyên" : ""
        return "Đã nhập \(WebFormat.integer(report.recorded)) dòng\(state)\(kept)."
    }
}
