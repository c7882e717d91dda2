import ChitieuDomain
import ChitieuStore
import Foundation
import Postgres

/// How the result pages say things in Vietnamese: states, periods, breakdowns, what happened to
/// a result, and the store's refusals as messages beside the field at fault (the one place that
/// turns an error into an officer's words).
enum ResultText {
    static func state(_ state: ResultRules.State) -> String {
        switch state {
        case .draft: "Nháp"
        case .submitted: "Đã gửi"
        case .approved: "Đã duyệt"
        case .returned: "Bị trả lại"
        }
    }

    static func level(_ level: UnitLevel) -> String {
        switch level {
        case .province: "Tỉnh"
        case .district: "Huyện"
        case .commune: "Xã"
        case .village: "Thôn"
        }
    }

    /// A breakdown dimension's name as officers read it.
    static func dimension(_ name: String) -> String { BreakdownDimension.label(name) }

    /// The period's name (Quý I/2025…), or its days when it is not one of the named periods.
    static func period(_ start: PostgresDate, _ end: PostgresDate) -> String {
        let (s, e) = (CalendarDate(start), CalendarDate(end))
        return ReportingPeriod.exactly(s, e)?.label ?? "\(WebFormat.date(s)) – \(WebFormat.date(e))"
    }

    /// "nữ 30, nam 12; DTTS 40, Kinh 2".
    static func breakdown(_ b: [String: [String: Int]]?, order: [String: [String]]? = nil) -> String {
        guard let b, !b.isEmpty else { return "" }
        return b.keys.sorted().map { dimension in
            let counts = b[dimension]!
            let categories = order?[dimension] ?? counts.keys.sorted()
            return categories.compactMap { c in counts[c].map { "\(c) \(WebFormat.integer($0))" } }.joined(separator: ", ")
        }.joined(separator: "; ")
    }

    /// What an audit event of a result says, as a sentence (the audit log's own, `AuditSentence`).
    static func event(_ e: AuditEvent) -> String {
        e.summary(in: .vi) + "."
    }

    /// The field of the form an error is about and what to tell the officer, in the catalogue's
    /// Vietnamese; nil for a refusal that is not about the form (not found, forbidden: the error pages).
    static func fieldMessage(_ error: any Error) -> (field: String, message: String)? {
        guard let error = error as? ChitieuError else { return nil }
        switch error.code {
        case .notFound, .forbidden, .unauthenticated, .rateLimited: return nil
        case .staleVersion, .wrongState: return ("state", error.message(in: .vi) + " Hãy tải lại trang.")
        default: return (field(error.field ?? ""), error.message(in: .vi))
        }
    }

    /// The form's field for a store field name.
    static func field(_ name: String) -> String {
        switch name {
        case "period_start", "period_end", "year": "period"
        case "indicator_id": "indicator"
        case "unit_id": "unit"
        case "Idempotency-Key": "form"
        case "evidence_note": "note"
        default: name.hasPrefix("companion_breakdown") ? "companion_breakdown" : name.hasPrefix("breakdown") ? "breakdown" : name.isEmpty ? "form" : name
        }
    }
}
