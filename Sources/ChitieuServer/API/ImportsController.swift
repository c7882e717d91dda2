import ChitieuDomain
import ChitieuStore
import ChitieuWorkbook
import Foundation
import HTTPTypes
import Hummingbird
import MultipartKit
import NIOCore

/// `/v1/imports`: results and targets from an uploaded workbook or CSV file (a dry run first, then
/// the import), and the templates to fill in.
struct ImportsController {
    let imports: ImportStore

    /// The largest file accepted (the multipart envelope around it may add a little).
    static let maximumFileBytes = 10 << 20
    static let envelopeBytes = 64 << 10

    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.post("imports") { request, context in
            let (caller, province) = try context.province()
            let language = Language(acceptLanguage: request.headers[.acceptLanguage])
            let form: ImportForm
            do {
                form = try await Self.form(request)
            } catch is UploadTooLarge {
                let error = ChitieuError(.invalid, field: "file", .fileTooLarge, ["maximum": .count(Self.maximumFileBytes)])
                return Problem(
                    type: "too-large", title: "Content too large", status: .contentTooLarge, detail: error.message(in: language)
                ).response(requestID: context.requestID)
            }
            let report = try await Self.run(form, imports: imports, province: province, caller: caller)
            return Self.response(report, language: language, requestID: context.requestID)
        }
        group.get("imports/template") { request, context in
            let (caller, province) = try context.province()
            let query = QueryInput(request)
            let format = try query.oneOf("format", ["xlsx", "csv"]).flatMap(WorkbookReader.Format.init(rawValue:)) ?? .xlsx
            let template = try await Self.template(query, imports: imports, province: province, caller: caller)
            return Self.fileResponse(template.file(format))
        }
    }

    /// A file to download, not kept by caches.
    static func fileResponse(_ file: (data: Data, contentType: String, filename: String)) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = file.contentType
        headers[.contentDisposition] = "attachment; filename=\"\(file.filename)\""
        headers[.cacheControl] = "no-store"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: file.data)))
    }

    /// Runs the import a form asks for.
    static func run(_ form: ImportForm, imports: ImportStore, province: Int64, caller: Caller) async throws -> ImportReport {
        switch form.kind {
        case .results:
            return try await imports.importResults(province: province, file: form.file, submit: form.submit, dryRun: form.dryRun, caller: caller)
        case .targets:
            guard let phase = form.phase else { throw BodyError.invalid("phase", "is required for targets, e.g. 2021-2025") }
            return try await imports.importTargets(province: province, file: form.file, phase: phase, dryRun: form.dryRun, caller: caller)
        }
    }

    /// The template a query asks for.
    static func template(_ query: QueryInput, imports: ImportStore, province: Int64, caller: Caller) async throws -> ImportTemplate {
        let kind = try query.oneOf("kind", ImportKind.allCases.map(\.rawValue)).flatMap(ImportKind.init(rawValue:)) ?? .results
        let levels = UnitLevel.allCases.map(\.rawValue)
        let level = try query.oneOf("level", levels).flatMap(UnitLevel.init(rawValue:)) ?? .commune
        let year = try query.integer("year", in: 2000...2100).map { Int($0) }
        let indicators = try query.string("indicators", maxBytes: 2000).map { $0.split(separator: ",").map { String($0) } }
        switch kind {
        case .results:
            let code = try query.string("period", maxBytes: 20) ?? year.map(String.init)
            guard let code else { throw BodyError.invalid("period", "is required, e.g. 2025, 2025-H1, 2025-Q3 or 2025-07") }
            guard let period = ReportingPeriod(code: code) else {
                throw ChitieuError(.invalid, field: "period", .importPeriod, ["value": .text(code)])
            }
            return try await imports.resultsTemplate(province: province, period: period, level: level, indicators: indicators, caller: caller)
        case .targets:
            guard let phase = try query.string("phase", maxBytes: 40) else { throw BodyError.invalid("phase", "is required, e.g. 2021-2025") }
            return try await imports.targetsTemplate(
                province: province, phase: phase, year: year, level: level, indicators: indicators, caller: caller)
        }
    }

    /// 200 with the counts, or 422 with every row's problem (nothing was written).
    static func response(_ report: ImportReport, language: Language, requestID: String) -> Response {
        var object: [String: Any] = [
            "kind": report.kind.rawValue, "dry_run": report.dryRun, "sheet": report.sheet, "rows": report.rows,
            "recorded": report.recorded, "unchanged": report.unchanged, "accepted": report.accepted,
        ]
        guard !report.accepted else { return JSONBody.response(.ok, object) }
        let rows = report.problems.count
        object["type"] = "/problems/import-refused"
        object["title"] = ChitieuError.Code.invalid.title(in: language)
        object["status"] = 422
        object["code"] = "invalid"
        object["detail"] = language == .vi
            ? "Có \(rows) dòng lỗi; chưa có dữ liệu nào được nhập." : "\(rows) rows have problems; nothing was imported"
        object["request_id"] = requestID
        object["errors"] = report.problems.map { problem -> [String: Any] in
            var item: [String: Any] = [
                "sheet": problem.sheet, "row": problem.row, "field": problem.field, "code": problem.error.code.name,
                "detail": problem.message(in: language),
            ]
            if let column = problem.column { item["column"] = column }
            return item
        }
        return JSONBody.response(.unprocessableContent, object, contentType: "application/problem+json")
    }
}

extension ImportsController {
    /// The body, or `UploadTooLarge` once it passes `limit`; the rest of a large body is read and
    /// dropped (up to ten times the limit), so the client gets the answer rather than a reset.
    static func collect(_ body: RequestBody, upTo limit: Int) async throws -> ByteBuffer {
        var buffer = ByteBuffer()
        var seen = 0
        for try await chunk in body {
            seen += chunk.readableBytes
            if seen > limit * 10 { break }
            if seen > limit { continue }
            var chunk = chunk
            buffer.writeBuffer(&chunk)
        }
        guard seen <= limit else { throw UploadTooLarge() }
        return buffer
    }
}

/// A body over the limit (413).
struct UploadTooLarge: Error {}

/// The fields of an import's form.
struct ImportForm {
    var file: Data
    var kind: ImportKind
    var dryRun: Bool
    var submit: Bool
    var phase: String?
}

extension ImportsController {
    /// The form of a `multipart/form-data` request (multipart-kit's parser): `file`, `kind`,
    /// `dry_run`, `state` and `phase`. A body over the limit is 413, another media type 415.
    static func form(_ request: Request) async throws -> ImportForm {
        let contentType = request.headers[.contentType] ?? ""
        guard contentType.lowercased().hasPrefix("multipart/form-data"), let boundary = MultipartForm.boundary(contentType) else {
            throw HTTPError(.unsupportedMediaType, message: "the body must be multipart/form-data with a boundary, not \(contentType.prefix(100))")
        }
        let body = try await Self.collect(request.body, upTo: maximumFileBytes + envelopeBytes)
        let fields = try MultipartForm.parse(body, boundary: boundary)
        guard let file = fields["file"] else { throw BodyError.invalid("file", "is required: the .xlsx or .csv file, as a form part named file") }
        guard file.readableBytes <= maximumFileBytes else {
            throw UploadTooLarge()
        }
        func text(_ name: String) -> String? { fields[name].map { String(buffer: $0).trimmingCharacters(in: .whitespacesAndNewlines) } }
        guard let kind = text("kind").map({ ImportKind(rawValue: $0) }) ?? .results else {
            throw BodyError.invalid("kind", "must be results or targets")
        }
        let dryRun: Bool
        switch text("dry_run") {
        case nil, "", "false"?: dryRun = false
        case "true"?: dryRun = true
        default: throw BodyError.invalid("dry_run", "must be true or false")
        }
        let submit: Bool
        switch text("state") {
        case nil, "", "draft"?: submit = false
        case "submitted"?: submit = true
        default: throw BodyError.invalid("state", "must be draft or submitted")
        }
        return ImportForm(file: Data(file.readableBytesView), kind: kind, dryRun: dryRun, submit: submit, phase: text("phase").flatMap { $0.isEmpty ? nil : $0 })
    }
}
