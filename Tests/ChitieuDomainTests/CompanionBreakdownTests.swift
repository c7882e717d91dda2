import ChitieuDomain
import Foundation
import Testing

@Suite("Breakdowns of the companion figure: members and participants, not clubs and courses")
struct CompanionBreakdownTests {
    /// Clubs with members by sex, as the catalogue has DA8-02.
    let clubs = (disaggregation: [String: [String]]?.none, companion: "thành viên", companionBy: ["sex": ["nữ", "nam"]])

    func problem(_ figures: ResultFigures) -> (String, String)? {
        ResultRules.problem(with: figures, disaggregation: clubs.disaggregation, companionMeasure: clubs.companion, companionDisaggregation: clubs.companionBy)
    }

    @Test func aCompanionBreakdownAddsUpToTheCompanionFigure() {
        #expect(problem(ResultFigures(value: 3, companionValue: 69, companionBreakdown: ["sex": ["nữ": 46, "nam": 23]])) == nil)
        #expect(problem(ResultFigures(value: 3, companionValue: 69)) == nil, "the breakdown is optional")
        let short = problem(ResultFigures(value: 3, companionValue: 69, companionBreakdown: ["sex": ["nữ": 3, "nam": 0]]))
        #expect(short?.0 == "companion_breakdown.sex" && short?.1 == "adds up to 3, not to companion_value 69")
        #expect(problem(ResultFigures(value: 3, companionValue: 69, companionBreakdown: ["sex": ["nữ": 69]]))?.0 == "companion_breakdown.sex.nam")
        #expect(problem(ResultFigures(value: 3, companionValue: 69, companionBreakdown: ["sex": ["nữ": 60, "nam": 9, "khác": 0]]))?.0
                == "companion_breakdown.sex.khác")
        #expect(problem(ResultFigures(value: 3, companionValue: 69, companionBreakdown: ["ethnicity": ["DTTS": 69]]))?.0 == "companion_breakdown.ethnicity")
        #expect(problem(ResultFigures(value: 3, companionBreakdown: ["sex": ["nữ": 2, "nam": 1]]))?.0 == "companion_breakdown",
                "without the companion figure there is nothing to break down")
    }

    @Test func clubsAreNotWomenOrMen() {
        let onTheCount = problem(ResultFigures(value: 3, breakdown: ["sex": ["nữ": 2, "nam": 1]], companionValue: 69))
        #expect(onTheCount?.0 == "breakdown" && onTheCount?.1.contains("companion_breakdown") == true)
        // An indicator without a companion disaggregation takes no companion breakdown.
        let teams = ResultRules.problem(
            with: ResultFigures(value: 3, companionValue: 27, companionBreakdown: ["sex": ["nữ": 20, "nam": 7]]),
            disaggregation: nil, companionMeasure: "thành viên", companionDisaggregation: nil)
        #expect(teams?.0 == "companion_breakdown")
        // The count's own breakdown is checked as before, against the value.
        let officials = ResultRules.problem(
            with: ResultFigures(value: 5, breakdown: ["ethnicity": ["DTTS": 4, "Kinh": 2]]), disaggregation: ["ethnicity": ["DTTS", "Kinh"]],
            companionMeasure: nil)
        #expect(officials?.0 == "breakdown.ethnicity" && officials?.1 == "adds up to 6, not to the value 5")
    }

    @Test func anIndicatorBreaksDownAFigureItHas() {
        var draft = IndicatorDraft(
            code: "DA8-02", name: "Câu lạc bộ", measureUnit: "câu lạc bộ", kind: .stock, companionMeasure: "thành viên",
            companionDisaggregation: ["sex": ["nữ", "nam"]])
        #expect(draft.problem() == nil)
        draft.companionMeasure = nil
        #expect(draft.problem()?.field == "companion-disaggregation")
        draft.companionMeasure = "thành viên"
        draft.companionDisaggregation = ["sex": ["nữ"]]
        #expect(draft.problem()?.field == "companion-disaggregation")
    }

    @Test func theShippedCatalogueBreaksDownMembersAndParticipantsAndCountsCoursesInCuoc() throws {
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../Deploy/catalogue/project8-indicators.csv")
        let rows = Dictionary(uniqueKeysWithValues: try IndicatorCatalogueCSV.parse(try Data(contentsOf: file)).map { ($0.draft.code, $0.draft) })
        #expect(rows["DA8-02"]?.disaggregation == nil && rows["DA8-02"]?.companionDisaggregation == ["sex": ["nữ", "nam"]])
        for code in ["DA8-03", "DA8-04"] {
            #expect(rows[code]?.disaggregation == nil)
            #expect(rows[code]?.companionDisaggregation == ["sex": ["nữ", "nam"], "ethnicity": ["DTTS", "Kinh"]])
            #expect(rows[code]?.measureUnit == "cuộc")
        }
        #expect(rows["DA8-09"]?.disaggregation == ["ethnicity": ["DTTS", "Kinh"]], "women officials are people: their count is broken down")
        #expect(rows.values.allSatisfy { $0.disaggregation?["sex"] == nil }, "no count of clubs, courses or teams by sex")
    }

    @Test func aCatalogueColumnIsReadAndCheckedAndAnOlderFileStillReads() throws {
        let header = "code,name,measure_unit,kind,companion_measure,companion_disaggregation\n"
        let rows = try IndicatorCatalogueCSV.parse(Data((header + "X-1,Câu lạc bộ,câu lạc bộ,stock,thành viên,sex=nữ|nam\n").utf8))
        #expect(rows[0].draft.companionDisaggregation == ["sex": ["nữ", "nam"]])
        #expect(throws: CSVFileError.self) { try IndicatorCatalogueCSV.parse(Data((header + "X-1,Câu lạc bộ,câu lạc bộ,stock,,sex=nữ|nam\n").utf8)) }
        do {
            _ = try IndicatorCatalogueCSV.parse(Data((header + "X-1,Câu lạc bộ,câu lạc bộ,stock,thành viên,sex\n").utf8))
            Issue.record("a malformed companion disaggregation was read")
        } catch {
            #expect(error.column == "companion_disaggregation")
        }
        let older = try IndicatorCatalogueCSV.parse(Data("code,name,measure_unit,kind\nX-1,Tổ,tổ,stock\n".utf8))
        #expect(older[0].draft.companionDisaggregation == nil)
    }
}
