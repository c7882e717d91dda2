import ChitieuDomain
import ChitieuStore
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// `GET /v1/progress/export`: completion as the workbook or CSV `chitieu export progress` writes,
/// for the caller's scope (or below `unit_id`); the Tải về page serves the same file.
struct ExportController {
    let progress: ProgressStore
    let targets: TargetStore

    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.get("progress/export") { request, context in
            let (caller, province) = try context.province()
            let query = QueryInput(request)
            let format = try query.oneOf("format", ProgressExport.Format.allCases.map(\.rawValue)).flatMap(ProgressExport.Format.init(rawValue:)) ?? .xlsx
            guard let phase = try query.string("phase", maxBytes: 40) else { throw BodyError.invalid("phase", "is required, e.g. 2021-2025") }
            let year = try query.integer("year", in: Int64.min...Int64.max).map { Int($0) }
            let unit = try query.integer("unit_id", in: Int64.min...Int64.max).map(UnitReference.id)
            return try await Self.file(
                progress: progress, targets: targets, province: province, phase: phase, year: year, unit: unit, format: format, caller: caller)
        }
    }

    /// The file as a download: its media type and a `Content-Disposition` with its name.
    static func file(
        progress: ProgressStore, targets: TargetStore, province: Int64, phase: String, year: Int?, unit: UnitReference?,
        format: ProgressExport.Format, caller: Caller
    ) async throws -> Response {
        let plan = try await targets.phase(province: province, code: phase, caller: caller).plan
        let figures = try await progress.figures(province: province, phaseCode: phase, year: year, unit: unit, depth: 3, caller: caller)
        let export = ProgressExport(figures: figures, phaseCode: phase, plan: plan)
        var headers = HTTPFields()
        headers[.contentType] = format.contentType
        headers[.contentDisposition] = "attachment; filename=\"\(export.filename(year: year, format))\""
        headers[.cacheControl] = "no-store"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: export.data(format))))
    }
}
