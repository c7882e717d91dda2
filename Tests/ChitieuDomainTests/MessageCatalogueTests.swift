import ChitieuDomain
import Testing

@Suite("The message catalogue: every error in English and Vietnamese")
struct MessageCatalogueTests {
    /// The `{name}` placeholders of a text.
    static func placeholders(_ text: String) -> Set<String> {
        var names: Set<String> = []
        var rest = Substring(text)
        while let open = rest.firstIndex(of: "{"), let close = rest[open...].firstIndex(of: "}") {
            names.insert(String(rest[rest.index(after: open)..<close]))
            rest = rest[rest.index(after: close)...]
        }
        return names
    }

    @Test func everyCodeHasATitleAndAMessageInBothLanguages() {
        for code in ChitieuError.Code.allCases {
            let error = ChitieuError(code, field: "value", reason: "breaks a rule")
            for language in Language.allCases {
                #expect(!code.title(in: language).isEmpty && code.title(in: language) != code.name, "\(code) \(language)")
            }
            #expect(code.title(in: .vi) != code.title(in: .en), "\(code) has no Vietnamese title")
            let vi = error.message(in: .vi)
            #expect(!vi.isEmpty && !vi.contains("{") && vi != error.description, "\(code): \(vi)")
            #expect(error.message(in: .en) == "value: breaks a rule")
        }
    }

    @Test func everyFinerMessageHasBothLanguagesWithTheSameArguments() {
        for key in MessageKey.allCases {
            let arguments: [String: MessageArgument] = [
                "value": .count(3816), "maximum": .count(1000), "minimum": .count(1), "first": .year(2000), "last": .year(2100),
                "date": .date(CalendarDate(year: 2025, month: 10, day: 24)), "rule": .text("rule"), "code": .text("DA8-01"),
                "known": .text("2021-2025"), "year": .year(2031), "phase": .text("2021-2025"), "unit": .text("02716"), "count": .count(2),
                "what": .noun("the unit"), "expected": .count(3), "actual": .count(4), "state": .words(en: "draft", vi: "là bản nháp"),
                "move": .words(en: "approved", vi: "duyệt"), "seconds": .count(30), "dimension": .text("sex"),
                "levels": .words(en: "commune", vi: "xã"), "level": .words(en: "district", vi: "huyện"), "total": .count(3),
                "name": .words(en: "the value", vi: "giá trị"), "figure": .count(4), "username": .text("xa10"),
                "role": .words(en: "commune", vi: "cán bộ xã"), "unitLevel": .words(en: "district", vi: "huyện"),
                "columns": .text("Giá trị [value]"), "row": .count(12),
            ]
            let error = ChitieuError(.invalid, field: "value", key, arguments)
            let vi = error.message(in: .vi)
            #expect(!vi.isEmpty && !vi.contains("{") && !vi.contains("}"), "\(key): \(vi)")
            #expect(!error.reason.isEmpty && !error.reason.contains("{"), "\(key): \(error.reason)")
            #expect(vi != error.reason, "\(key) has no Vietnamese message")
            let keyed = ChitieuError(.invalid, field: nil, key, [:])
            let named = Self.placeholders(keyed.reason).subtracting(["field", "Field"])
            #expect(named.isSubset(of: Set(arguments.keys)), "\(key) names an argument the test does not give: \(named)")
        }
    }

    @Test func vietnameseMessagesNameTheFieldInWordsAndWriteNumbersAndDaysAsVietnamDoes() {
        #expect(ChitieuError.outsidePhase(year: 2031, phase: "2021-2025").message(in: .vi) == "Năm 2031 nằm ngoài giai đoạn 2021-2025.")
        #expect(ChitieuError.outsidePhase(year: 2031, phase: "2021-2025").description == "year: 2031 is outside the phase 2021-2025")
        #expect(ChitieuError(.invalid, field: "period_end", reason: "is wrong").message(in: .vi) == "Ngày cuối kỳ báo cáo không hợp lệ.")
        #expect(ChitieuError(.invalid, field: "--valid-to", reason: "is wrong").message(in: .vi) == "Ngày hết hiệu lực không hợp lệ.")
        #expect(ChitieuError(.invalid, field: "row 3 value", reason: "is wrong").message(in: .vi) == "Giá trị ở dòng 3 không hợp lệ.")
        #expect(ChitieuError(.invalid, field: "breakdown.sex", reason: "is wrong").message(in: .vi) == "Số liệu phân tổ (giới tính) không hợp lệ.")
        #expect(ChitieuError(.invalid, field: "x_y", reason: "is wrong").message(in: .vi) == "Trường 'x_y' không hợp lệ.")
        #expect(message(for: ChitieuError.wholeNumber("value", maximum: 10_000_000), language: .vi) == "Giá trị phải là số nguyên từ 0 đến 10.000.000.")
        #expect(ChitieuError.wholeNumber("value", maximum: 10_000_000).reason == "must be a whole number from 0 to 10000000")
        #expect(ChitieuError.required("period_start").message(in: .vi) == "Cần nhập ngày đầu kỳ báo cáo.")
        let closed = ChitieuError.deadlinePassed(year: 2024, closedOn: CalendarDate(year: 2025, month: 1, day: 15))
        #expect(closed.code == .deadlinePassed && closed.field == "period_end")
        #expect(closed.reason == "results of 2024 closed on 2025-01-15; the province can reopen reporting for this unit")
        #expect(closed.message(in: .vi) == "Hạn báo cáo kết quả năm 2024 đã đóng ngày 15/01/2025; tỉnh có thể mở lại báo cáo cho đơn vị này.")
        #expect(ChitieuError.notFound("the unit").message(in: .vi) == "Không tìm thấy đơn vị.")
        #expect(ChitieuError.notFound("the unit").description == "the unit was not found")
        #expect(ChitieuError(.forbidden, "your roles do not allow this here").message(in: .vi) == "Vai trò của bạn không cho phép thao tác này.")
    }

    @Test func theEnglishReasonsAreTheOnesTheStoreAlwaysGave() {
        #expect(ChitieuError.wrongState(.submitted, .approve).reason == "a submitted result cannot be approved")
        #expect(ChitieuError.wrongState(.draft, .correct).reason == "a draft result cannot be corrected (only approved results are)")
        #expect(ChitieuError.wrongState(.submitted, .approve).message(in: .vi) == "Kết quả đang chờ duyệt nên không thể duyệt.")
        #expect(ChitieuError.staleVersion(expected: 3, actual: 4).reason == "the result changed since version 3 (it is at version 4); reload it")
        #expect(Names.error("reason", with: "", maxLength: 10)?.reason == Names.problem(with: "", maxLength: 10))
        #expect(Names.error("reason", with: String(repeating: "a", count: 11), maxLength: 10)?.reason == "is longer than 10 characters")
        var unit = TargetUnit(
            id: 7, level: .commune, code: "02716", name: "Xã Sơn Hải", parentID: 2, sortKey: 1,
            validFrom: CalendarDate(year: 2008, month: 1, day: 1), validTo: CalendarDate(year: 2025, month: 6, day: 30))
        unit.ended = true
        let ended = unit.endedError("its targets")
        #expect(ended?.reason == unit.endedRefusal("its targets") && ended?.code == .unitEnded && ended?.field == "unit")
        #expect(ended?.message(in: .vi) == "Đơn vị 02716 Xã Sơn Hải đã kết thúc từ ngày 30/06/2025; chỉ tiêu được giao của đơn vị là lịch sử, chỉ được xem.")
    }

    @Test func aResultsFiguresAreRefusedInWordsAnOfficerReads() {
        let sum = ResultRules.error(with: ResultFigures(value: 3, breakdown: ["sex": ["nữ": 1, "nam": 1]]), disaggregation: ["sex": ["nữ", "nam"]], companionMeasure: nil)
        #expect(sum?.field == "breakdown.sex" && sum?.reason == "adds up to 2, not to the value 3")
        #expect(sum?.message(in: .vi) == "Số liệu phân tổ (giới tính) cộng lại được 2, không bằng giá trị 3.")
        let missing = ResultRules.problem(with: ResultFigures(value: 2, breakdown: ["sex": ["nữ": 2]]), disaggregation: ["sex": ["nữ", "nam"]], companionMeasure: nil)
        #expect(missing?.0 == "breakdown.sex.nam" && missing?.1 == "is missing: give every category of sex, 0 if none")
        let unit = FoundUnit(
            id: 1, level: .district, code: "083", name: "Huyện Bát Xát", validFrom: CalendarDate(year: 2008, month: 1, day: 1), validTo: nil,
            ended: false)
        let rules = ResultRules.IndicatorRules(
            code: "DA8-01", reportingLevels: ["commune"], disaggregation: nil, companionMeasure: nil, suspendedFrom: nil, companionDisaggregation: nil)
        let day = CalendarDate(year: 2024, month: 3, day: 1)
        let refused = ResultRules.error(start: day, end: day, figures: ResultFigures(value: 1), unit: unit, indicator: rules, today: day)
        #expect(refused?.reason == "DA8-01 is reported by commune units, not by a district" && refused?.field == "unit_id")
        #expect(refused?.message(in: .vi) == "Chỉ tiêu DA8-01 do đơn vị cấp xã báo cáo, không phải cấp huyện.")
        #expect(ResultRules.refusal(start: day, end: day, figures: ResultFigures(value: 1), unit: unit, indicator: rules, today: day)
            == .input(field: "unit_id", reason: "DA8-01 is reported by commune units, not by a district"))
    }

    @Test func acceptLanguageChoosesVietnameseOnlyWhenItIsPreferred() {
        #expect(Language(acceptLanguage: nil) == .en)
        #expect(Language(acceptLanguage: "vi") == .vi)
        #expect(Language(acceptLanguage: "vi-VN,vi;q=0.9,en-US;q=0.8") == .vi)
        #expect(Language(acceptLanguage: "en-US,en;q=0.9,vi;q=0.8") == .en)
        #expect(Language(acceptLanguage: "fr, vi;q=0.5") == .vi)
        #expect(Language(acceptLanguage: "vi;q=0, en") == .en)
        #expect(Language(acceptLanguage: "de") == .en)
    }

    @Test func theCodeIsWrittenOneWay() {
        #expect(ChitieuError.Code.allCases.count == Set(ChitieuError.Code.allCases.map(\.name)).count)
        for code in ChitieuError.Code.allCases { #expect(ChitieuError.Code(name: code.name) == code) }
        #expect(ChitieuError.Code.notFound.name == "not_found")
    }
}
