import ChitieuDomain
import ChitieuStore
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// `GET /v1/reports/province`: the province's report of a phase or a year for the caller's
/// scope, as JSON or as the styled workbook; the Báo cáo page and `chitieu report province`
/// make the same one.
struct ReportsController {
    let progress: ProgressStore

    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.get("reports/province") { request, context in
            let (caller, province) = try context.province()
            let query = QueryInput(request)
            let format = try query.oneOf("format", ["json", "xlsx"]) ?? "json"
            let year = try query.integer("year", in: 2000...2100).map { Int($0) }
            let report = try await progress.provinceReport(
                province: province, phaseCode: try PlanningController.phase(query), year: year, caller: caller)
            return format == "xlsx" ? Self.download(report) : JSONBody.response(.ok, Representation.provinceReport(report))
        }
    }

    /// The workbook as a download, with its name.
    static func download(_ report: ProvinceReport) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        headers[.contentDisposition] = "attachment; filename=\"\(report.filename)\""
        headers[.cacheControl] = "no-store"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: report.xlsx())))
    }
}
