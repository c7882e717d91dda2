@testable import ChitieuServer
@testable import ChitieuStore
import ChitieuDomain
import ChitieuTestSupport
import Foundation
import Testing

@Suite("Answers written straight from typed values")
struct RepresentationTests {
    @Test func timestampsReadAsFoundationWritesThem() {
        var generator = SystemRandomNumberGenerator()
        var dates = [Date(timeIntervalSince1970: 0), Date(timeIntervalSince1970: -1), Date(timeIntervalSince1970: 1_751_328_000.999),
                     Date(timeIntervalSince1970: 951_782_400), Date(timeIntervalSince1970: -2_208_988_800.5)]
        for _ in 0..<2000 { dates.append(Date(timeIntervalSince1970: Double.random(in: -3e9...4e9, using: &generator))) }
        for date in dates {
            #expect(JSONText.timestamp(date) == date.formatted(.iso8601), "\(date.timeIntervalSince1970)")
        }
    }

    @Test func progressItemsAreTheSameTextAsTheDictionaries() {
        let figures = [
            ProgressFigure(
                indicatorID: 7, indicatorCode: "DA8-01", indicatorName: "Tổ truyền thông cộng đồng \"mẫu\"", measureUnit: "tổ", unitID: 42,
                unitCode: "02647", unitName: "Xã A Mú Sung", unitLevel: .commune, parentID: 3, year: 2024, target: 12, achieved: 9,
                achievedWithSubmitted: 11, companionMeasure: "thành viên", companion: 140, rate: 0.75, status: .behind,
                computedAt: Date(timeIntervalSince1970: 1_764_000_000.25)),
            ProgressFigure(
                indicatorID: 8, indicatorCode: "DA8-02", indicatorName: "Câu lạc bộ Thủ lĩnh của sự thay đổi", measureUnit: "CLB", unitID: 1,
                unitCode: "10", unitName: "Tỉnh Lào Cai", unitLevel: .province, parentID: nil, year: nil, target: nil, achieved: 0,
                achievedWithSubmitted: 0, companionMeasure: nil, companion: nil, rate: nil, status: .noTarget,
                computedAt: Date(timeIntervalSince1970: 1_700_000_000)),
        ]
        let generic = JSONText.bytes(["items": figures.map(Representation.progress)])
        #expect(String(decoding: Representation.progressItems(figures), as: UTF8.self) == String(decoding: generic, as: UTF8.self))
        #expect(Representation.progressItems([]) == JSONText.bytes(["items": [[String: Any]]()]))
    }
}
