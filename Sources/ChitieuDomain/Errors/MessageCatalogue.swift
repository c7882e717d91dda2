import Foundation

// The one catalogue of the messages people read: for every error code a title and a message, for
// the problems that need one a finer message (`MessageKey`), the fields and the nouns in words an
// officer reads, each in English and in Vietnamese. `{name}` is an argument of the error,
// `{field}` the field in words (`{Field}` capitalised, to begin a sentence).

/// A language of the catalogue.
public enum Language: String, Sendable, Hashable, CaseIterable {
    case vi, en

    /// The language an `Accept-Language` header prefers among those of the catalogue: Vietnamese
    /// when `vi` weighs more than English, English otherwise (also with no header).
    public init(acceptLanguage header: String?) {
        var best: (language: Language, weight: Double)?
        for item in (header ?? "").split(separator: ",") {
            let parts = item.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            guard let tag = parts.first, !tag.isEmpty else { continue }
            let primary = tag.split(separator: "-").first.map(String.init) ?? tag
            guard let language = Language(rawValue: primary) ?? (tag == "*" ? .en : nil) else { continue }
            var weight = 1.0
            for parameter in parts.dropFirst() where parameter.hasPrefix("q=") { weight = Double(parameter.dropFirst(2)) ?? 0 }
            if weight > 0, weight > best?.weight ?? 0 { best = (language, weight) }
        }
        self = best?.language ?? .en
    }
}

/// A value a message names, written as each language writes it.
public enum MessageArgument: Sendable, Hashable {
    /// Written as is: a code, a name, a list of codes.
    case text(String)
    /// A count or an amount: 3816, and 3.816 in Vietnamese.
    case count(Int)
    /// A year: 2025 in every language.
    case year(Int)
    /// A day: 2025-10-24, and 24/10/2025 in Vietnamese.
    case date(CalendarDate)
    /// An English noun phrase the catalogue translates (`the unit`, `its targets`).
    case noun(String)
    /// Words given in each language where they are made.
    case words(en: String, vi: String)
}

/// A message of the catalogue finer than its error code's.
public enum MessageKey: String, Sendable, Hashable, CaseIterable {
    case required, empty, tooLong, controlCharacter, shorterThan
    case negative, aboveMaximum, wholeNumber, integerRange, yearRange
    case inThePast, badCursor, taken
    case unknownPhase, outsidePhase, unitOutsidePhase, unknownUnit, unknownUnitOn, ambiguousUnit, noProvinceUnit, unknownIndicator
    case notFound, staleVersion, wrongState, deadlinePassed, unitEnded, targetLocked, tooManyLogins
    case notReportedBy, indicatorSuspended, endBeforeStart, periodAcrossYears, inTheFuture, beforeYear, unitNotYet, unitEndedBefore
    case noCompanion, notADimension, notACategory, missingCategory, breakdownSum
    case badUsername, roleLevel, roleHeld
    case notAWorkbook, fileTooLarge, tooManyRows, noSuchSheet, importNoHeader, importMissingColumns, importPeriod, importDuplicate
}

enum MessageCatalogue {
    struct Texts: Sendable {
        var en: String
        var vi: String

        func text(_ language: Language) -> String { language == .vi ? vi : en }
    }

    /// What every code is called (the problem's `title`) and says when no finer message fits.
    static let codes: [String: (title: Texts, message: Texts)] = [
        "invalid": (
            Texts(en: "Invalid input", vi: "Dữ liệu không hợp lệ"),
            Texts(en: "{field} is not valid", vi: "{Field} không hợp lệ.")),
        "malformed": (
            Texts(en: "Malformed request", vi: "Yêu cầu sai định dạng"),
            Texts(en: "the request cannot be read", vi: "Yêu cầu gửi lên sai định dạng nên không đọc được.")),
        "unauthenticated": (
            Texts(en: "Unauthenticated", vi: "Chưa đăng nhập"),
            Texts(en: "sign in again", vi: "Phiên làm việc không hợp lệ hoặc đã hết hạn; hãy đăng nhập lại.")),
        "forbidden": (
            Texts(en: "Forbidden", vi: "Không có quyền"),
            Texts(en: "your roles do not allow this", vi: "Vai trò của bạn không cho phép thao tác này.")),
        "not_found": (
            Texts(en: "Not found", vi: "Không tìm thấy"),
            Texts(en: "{field} was not found", vi: "Không tìm thấy {field}.")),
        "conflict": (
            Texts(en: "Conflict", vi: "Xung đột dữ liệu"),
            Texts(en: "{field} conflicts with the data as it is", vi: "{Field} không phù hợp với dữ liệu hiện có.")),
        "stale_version": (
            Texts(en: "Changed meanwhile", vi: "Dữ liệu đã thay đổi"),
            Texts(en: "the data changed since you read it; reload it", vi: "Dữ liệu đã được người khác thay đổi; hãy tải lại trang rồi làm lại.")),
        "wrong_state": (
            Texts(en: "Not in this state", vi: "Không đúng trạng thái"),
            Texts(en: "the state does not allow this", vi: "Trạng thái hiện tại không cho phép thao tác này.")),
        "locked": (
            Texts(en: "Locked", vi: "Đã khoá"),
            Texts(en: "{field} is locked", vi: "{Field} đang bị khoá; hãy mở khoá trước khi sửa.")),
        "unit_ended": (
            Texts(en: "Unit ended", vi: "Đơn vị đã kết thúc"),
            Texts(en: "the unit ended; what it holds is history and read only", vi: "Đơn vị đã kết thúc; dữ liệu của đơn vị là lịch sử, chỉ được xem.")),
        "deadline_passed": (
            Texts(en: "Deadline passed", vi: "Đã hết hạn"),
            Texts(en: "reporting for this period closed", vi: "Đã hết hạn báo cáo cho kỳ này; tỉnh có thể mở lại báo cáo cho đơn vị.")),
        "infeasible": (
            Texts(en: "Infeasible", vi: "Không phân bổ được"),
            Texts(en: "no allocation meets these rules", vi: "Không thể phân bổ chỉ tiêu theo các ràng buộc đã cho; hãy xem lại {field}.")),
        "rate_limited": (
            Texts(en: "Too many requests", vi: "Quá nhiều yêu cầu"),
            Texts(en: "too many attempts; try again later", vi: "Có quá nhiều lần thử; hãy đợi một lát rồi thử lại.")),
    ]

    /// The finer messages. The English one is the error's `reason` (after `field: `).
    static func texts(_ key: MessageKey) -> Texts {
        switch key {
        case .required: Texts(en: "is required", vi: "Cần nhập {field}.")
        case .empty: Texts(en: "is empty", vi: "{Field} đang để trống.")
        case .tooLong: Texts(en: "is longer than {maximum} characters", vi: "{Field} dài quá {maximum} ký tự.")
        case .controlCharacter: Texts(en: "contains a control character", vi: "{Field} chứa ký tự điều khiển; hãy gõ lại.")
        case .shorterThan: Texts(en: "is shorter than {minimum} characters", vi: "{Field} phải có ít nhất {minimum} ký tự.")
        case .negative:
            Texts(en: "{value} is negative; a target is a count, 0 or more", vi: "{Field} là {value}, một số âm; chỉ tiêu là số đếm, từ 0 trở lên.")
        case .aboveMaximum: Texts(en: "{value} is more than {maximum}", vi: "{Field} là {value}, lớn hơn mức tối đa {maximum}.")
        case .wholeNumber: Texts(en: "must be a whole number from 0 to {maximum}", vi: "{Field} phải là số nguyên từ 0 đến {maximum}.")
        case .integerRange: Texts(en: "must be an integer from {minimum} to {maximum}", vi: "{Field} phải là số nguyên từ {minimum} đến {maximum}.")
        case .yearRange: Texts(en: "must be between {first} and {last}", vi: "{Field} phải từ {first} đến {last}.")
        case .inThePast: Texts(en: "{date} is in the past", vi: "{Field} ({date}) là ngày đã qua.")
        case .badCursor: Texts(en: "is not a cursor this server gave", vi: "Vị trí trang không hợp lệ; hãy tải lại danh sách từ trang đầu.")
        case .taken: Texts(en: "'{value}' is taken ({rule})", vi: "{Field} '{value}' đã được dùng.")
        case .unknownPhase:
            Texts(en: "the province has no phase '{code}' (it has {known})", vi: "Tỉnh không có giai đoạn '{code}' (các giai đoạn hiện có: {known}).")
        case .outsidePhase: Texts(en: "{year} is outside the phase {phase}", vi: "Năm {year} nằm ngoài giai đoạn {phase}.")
        case .unitOutsidePhase:
            Texts(en: "the unit {unit} does not exist during the phase {phase}", vi: "Đơn vị {unit} không tồn tại trong giai đoạn {phase}.")
        case .unknownUnit:
            Texts(en: "no unit of this province has the code '{code}' during the phase", vi: "Không có đơn vị nào của tỉnh mang mã '{code}' trong giai đoạn này.")
        case .unknownUnitOn:
            Texts(en: "the province has no unit with the code '{code}' on {date}", vi: "Ngày {date}, tỉnh không có đơn vị nào mang mã '{code}'.")
        case .ambiguousUnit:
            Texts(en: "the code '{code}' names {count} units during the phase", vi: "Mã '{code}' ứng với {count} đơn vị trong giai đoạn này; hãy chọn đơn vị trong danh sách.")
        case .noProvinceUnit: Texts(en: "the province has no province-level unit", vi: "Tỉnh chưa có đơn vị cấp tỉnh; hãy nhập danh sách đơn vị trước.")
        case .unknownIndicator:
            Texts(en: "the province has no indicator '{code}'; see `chitieu indicator list`", vi: "Tỉnh không có chỉ tiêu '{code}'.")
        case .notFound: Texts(en: "{what} was not found", vi: "Không tìm thấy {what}.")
        case .staleVersion:
            Texts(
                en: "the result changed since version {expected} (it is at version {actual}); reload it",
                vi: "Kết quả đã được thay đổi sau khi bạn mở (phiên bản {expected}, nay là {actual}); hãy tải lại trang rồi làm lại.")
        case .wrongState: Texts(en: "a {state} result cannot be {move}", vi: "Kết quả {state} nên không thể {move}.")
        case .deadlinePassed:
            Texts(
                en: "results of {year} closed on {date}; the province can reopen reporting for this unit",
                vi: "Hạn báo cáo kết quả năm {year} đã đóng ngày {date}; tỉnh có thể mở lại báo cáo cho đơn vị này.")
        case .unitEnded:
            Texts(en: "{unit} ended on {date}; {what} are history and read only", vi: "Đơn vị {unit} đã kết thúc từ ngày {date}; {what} là lịch sử, chỉ được xem.")
        case .targetLocked:
            Texts(
                en: "the target is locked, so every allocation keeps it; send \"locked\": true to change it and keep it locked, or false to unlock it",
                vi: "Chỉ tiêu này đang bị khoá nên mọi lần phân bổ đều giữ nguyên; hãy chọn giữ khoá hay mở khoá khi sửa.")
        case .notReportedBy:
            Texts(en: "{code} is reported by {levels} units, not by a {level}", vi: "Chỉ tiêu {code} do đơn vị cấp {levels} báo cáo, không phải cấp {level}.")
        case .indicatorSuspended:
            Texts(
                en: "{code} is suspended from {date}; results after that date are not taken",
                vi: "Chỉ tiêu {code} tạm dừng từ ngày {date}; không nhận kết quả sau ngày đó.")
        case .endBeforeStart: Texts(en: "is before period_start", vi: "Ngày cuối kỳ báo cáo đang ở trước ngày đầu kỳ.")
        case .periodAcrossYears:
            Texts(en: "a period lies within one year ({year}); report each year apart", vi: "Kỳ báo cáo phải nằm trong một năm ({year}); hãy báo cáo riêng từng năm.")
        case .inTheFuture: Texts(en: "{date} is in the future", vi: "{Field} ({date}) là ngày chưa tới.")
        case .beforeYear: Texts(en: "is before {year}", vi: "{Field} ở trước năm {year}.")
        case .unitNotYet:
            Texts(
                en: "{unit} exists from {date}; report earlier periods on the units of that time",
                vi: "Đơn vị {unit} chỉ có từ ngày {date}; hãy báo cáo các kỳ trước đó cho các đơn vị của thời gian ấy.")
        case .unitEndedBefore:
            Texts(
                en: "{unit} ended on {date}; report later periods on the units that succeeded it",
                vi: "Đơn vị {unit} đã kết thúc ngày {date}; hãy báo cáo các kỳ sau đó cho các đơn vị kế tiếp.")
        case .noCompanion: Texts(en: "the indicator has no companion measure", vi: "Chỉ tiêu này không có số liệu đi kèm.")
        case .notADimension:
            Texts(en: "is not a dimension of the indicator (it has {known})", vi: "Chỉ tiêu không phân tổ theo '{dimension}' (các cách phân tổ: {known}).")
        case .notACategory: Texts(en: "is not a category of {dimension} ({known})", vi: "{Field} không phải là một nhóm của {dimension} ({known}).")
        case .missingCategory:
            Texts(en: "is missing: give every category of {dimension}, 0 if none", vi: "Còn thiếu {field}: hãy nhập đủ mọi nhóm của {dimension}, không có thì nhập 0.")
        case .breakdownSum: Texts(en: "adds up to {total}, not to {name} {figure}", vi: "{Field} cộng lại được {total}, không bằng {name} {figure}.")
        case .badUsername:
            Texts(
                en: "'{value}' is not a valid username: 2 to 63 characters of a–z, 0–9, '.', '_' and '-', starting with a letter or digit",
                vi: "Tên đăng nhập '{value}' không hợp lệ: cần 2 đến 63 ký tự a–z, 0–9, '.', '_' hoặc '-', bắt đầu bằng chữ hoặc số.")
        case .roleLevel:
            Texts(
                en: "the {role} role is held at a {level} unit, and this unit is a {unitLevel}",
                vi: "Vai trò {role} được giao ở đơn vị cấp {level}, còn đơn vị này là cấp {unitLevel}.")
        case .roleHeld: Texts(en: "'{username}' holds the {role} role at this unit already", vi: "Tài khoản '{username}' đã có vai trò {role} ở đơn vị này.")
        case .notAWorkbook:
            Texts(en: "is not an .xlsx workbook or a UTF-8 CSV file", vi: "Tệp tải lên không phải sổ tính .xlsx hay tệp CSV (UTF-8); hãy lưu lại đúng định dạng.")
        case .fileTooLarge: Texts(en: "is larger than {maximum} bytes", vi: "Tệp lớn quá {maximum} byte; hãy chia thành nhiều tệp nhỏ hơn.")
        case .tooManyRows: Texts(en: "has more than {maximum} rows", vi: "Tệp có nhiều hơn {maximum} dòng; hãy chia thành nhiều tệp nhỏ hơn.")
        case .noSuchSheet: Texts(en: "the workbook has no sheet '{name}'", vi: "Sổ tính không có trang '{name}'.")
        case .importNoHeader: Texts(en: "has no header row", vi: "Tệp không có dòng tiêu đề; hãy dùng tệp mẫu tải về.")
        case .importMissingColumns:
            Texts(en: "has no column {columns}", vi: "Tệp thiếu cột {columns}; hãy dùng tệp mẫu tải về.")
        case .importPeriod:
            Texts(en: "'{value}' is not a period (2025, 2025-H1, 2025-Q3 or 2025-07)", vi: "Kỳ báo cáo '{value}' không hợp lệ; hãy ghi 2025, 2025-H1, 2025-Q3 hoặc 2025-07.")
        case .importDuplicate: Texts(en: "sets the cell of row {row} again", vi: "Dòng này đặt lại ô đã có ở dòng {row}; hãy giữ một dòng.")
        case .tooManyLogins:
            Texts(en: "too many failed logins; try again in {seconds} seconds", vi: "Đăng nhập sai quá nhiều lần; hãy thử lại sau {seconds} giây.")
        }
    }

    /// The fields, flags and columns in Vietnamese words; flags without `--`, `-` read as `_`.
    static let fieldNames: [String: String] = [
        "value": "giá trị", "companion_value": "số liệu đi kèm", "breakdown": "số liệu phân tổ",
        "companion_breakdown": "số liệu phân tổ đi kèm", "figures": "số liệu",
        "period_start": "ngày đầu kỳ báo cáo", "period_end": "ngày cuối kỳ báo cáo", "period": "kỳ báo cáo",
        "unit": "đơn vị", "unit_id": "đơn vị", "unit_code": "đơn vị", "into": "đơn vị nhận", "from": "tỉnh sáp nhập",
        "indicator": "chỉ tiêu", "indicator_id": "chỉ tiêu", "indicator_code": "chỉ tiêu",
        "phase": "giai đoạn", "year": "năm", "reason": "lý do", "version": "phiên bản", "state": "trạng thái",
        "submit": "lựa chọn gửi duyệt", "locked": "khoá chỉ tiêu", "lock": "khoá chỉ tiêu",
        "weights": "trọng số", "weight": "trọng số", "method": "phương pháp phân bổ", "rule": "quy tắc phân bổ",
        "username": "tên đăng nhập", "password": "mật khẩu", "new_password": "mật khẩu mới", "display_name": "tên hiển thị",
        "role": "vai trò", "account": "tài khoản", "as": "tài khoản thực hiện", "grant_id": "quyền được giao",
        "valid_from": "ngày bắt đầu hiệu lực", "valid_to": "ngày hết hiệu lực", "on": "ngày", "expires": "thời hạn",
        "limit": "số dòng mỗi trang", "cursor": "vị trí trang", "q": "từ khoá tìm kiếm", "depth": "số cấp đơn vị",
        "closes_on": "ngày đóng báo cáo", "until": "hạn mở lại báo cáo", "idempotency_key": "mã chống gửi trùng",
        "name": "tên", "code": "mã", "id": "mã số", "province": "tỉnh", "login": "tài khoản báo cáo",
        "file": "tệp", "out": "tệp kết quả", "evidence_note": "ghi chú", "target": "chỉ tiêu giao", "sheet": "trang tính",
        "kind": "loại dữ liệu", "dry_run": "lựa chọn chạy thử", "level": "cấp đơn vị", "format": "định dạng tệp", "body": "nội dung yêu cầu", "json": "nội dung JSON",
        "years": "tỷ trọng các năm", "minimum": "mức tối thiểu cho mỗi đơn vị", "attribute": "thuộc tính đơn vị",
        "home_unit": "đơn vị của tài khoản", "home_unit_id": "đơn vị của tài khoản", "district_allocation": "cán bộ huyện phân bổ cho xã",
    ]

    /// English noun phrases of messages in Vietnamese.
    static let nouns: [String: String] = [
        "the indicator": "chỉ tiêu", "the unit": "đơn vị", "the result": "kết quả", "the account": "tài khoản",
        "the job": "công việc", "the token": "mã truy cập", "the phase": "giai đoạn", "the province": "tỉnh",
        "the grant": "quyền được giao", "the role": "vai trò", "the target": "chỉ tiêu được giao",
        "its targets": "chỉ tiêu được giao của đơn vị", "its allocation rules": "quy tắc phân bổ của đơn vị",
        "its results": "kết quả của đơn vị",
    ]

    /// The message for an error in a language.
    static func message(for error: ChitieuError, language: Language) -> String {
        switch language {
        case .en:
            return error.description
        case .vi:
            if let key = error.key { return render(key: key, .vi, field: error.field, arguments: error.arguments) }
            let template = codes[error.code.name]?.message.vi ?? "{Field} không hợp lệ."
            return fill(template, .vi, field: error.field, arguments: error.arguments)
        }
    }

    /// The title of a code (the problem's `title`).
    static func title(of code: ChitieuError.Code, _ language: Language) -> String {
        codes[code.name]?.title.text(language) ?? code.name
    }

    /// A finer message with its arguments.
    static func render(key: MessageKey, _ language: Language, field: String?, arguments: [String: MessageArgument]) -> String {
        fill(texts(key).text(language), language, field: field, arguments: arguments)
    }

    /// Replaces `{name}` by the argument, `{field}` and `{Field}` by the field's words.
    static func fill(_ template: String, _ language: Language, field: String?, arguments: [String: MessageArgument]) -> String {
        var out = ""
        var rest = Substring(template)
        while let open = rest.firstIndex(of: "{"), let close = rest[open...].firstIndex(of: "}") {
            out += rest[..<open]
            let name = String(rest[rest.index(after: open)..<close])
            switch name {
            case "field": out += words(field: field, language)
            case "Field": out += capitalised(words(field: field, language))
            default:
                if let argument = arguments[name] { out += format(argument, language) } else { out += rest[open...close] }
            }
            rest = rest[rest.index(after: close)...]
        }
        return out + rest
    }

    /// How a language writes an argument.
    static func format(_ argument: MessageArgument, _ language: Language) -> String {
        switch (argument, language) {
        case (.text(let text), _): text
        case (.year(let year), _): String(year)
        case (.count(let count), .en): String(count)
        case (.count(let count), .vi): grouped(count)
        case (.date(let date), .en): date.description
        case (.date(let date), .vi): date.dayMonthYear
        case (.noun(let noun), .en): noun
        case (.noun(let noun), .vi): nouns[noun] ?? noun
        case (.words(let en, _), .en): en
        case (.words(_, let vi), .vi): vi
        }
    }

    /// A field in words: `giá trị`, `đơn vị ở dòng 3`; a field the catalogue does not know in quotes.
    static func words(field: String?, _ language: Language) -> String {
        guard let field, !field.isEmpty else { return language == .vi ? "dữ liệu" : "the input" }
        guard language == .vi else { return field }
        for prefix in ["row ", "line "] where field.hasPrefix(prefix) {
            let rest = field.dropFirst(prefix.count)
            let number = rest.prefix(while: \.isNumber)
            let column = rest.dropFirst(number.count).trimmingCharacters(in: .whitespaces)
            return column.isEmpty ? "dòng \(number)" : "\(words(field: column, .vi)) ở dòng \(number)"
        }
        var name = field.hasPrefix("--") ? String(field.dropFirst(2)) : field
        name = name.lowercased().replacingOccurrences(of: "-", with: "_")
        if let words = fieldNames[name] { return words }
        let parts = name.split(separator: ".", maxSplits: 1).map(String.init)
        if parts.count == 2, let words = fieldNames[parts[0]] { return "\(words) (\(BreakdownDimension.label(parts[1]).lowercased()))" }
        return "trường '\(field)'"
    }

    static func capitalised(_ text: String) -> String {
        guard let first = text.first else { return text }
        return first.uppercased() + text.dropFirst()
    }

    /// 3816 as Vietnamese writes it: 3.816.
    static func grouped(_ value: Int) -> String {
        let digits = String(value.magnitude)
        var out = ""
        for (i, digit) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out += "." }
            out.append(digit)
        }
        return value < 0 ? "-" + out : out
    }
}

extension ChitieuError.Code {
    /// What the code is called in a language (a problem's `title`).
    public func title(in language: Language) -> String {
        MessageCatalogue.title(of: self, language)
    }
}
