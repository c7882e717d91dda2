import ChitieuDomain
import Foundation
import Testing

@Suite("Reading GSO units files")
struct AdminUnitsCSVTests {
    static let header2021 = "province_code,province_name,district_code,district_name,district_type,commune_code,commune_name,commune_type\n"

    func parse(_ text: String) throws(CSVFileError) -> AdminUnitsFile {
        try AdminUnitsCSV.parse(Data(text.utf8))
    }

    /// The error reading `text` throws; an issue where it throws none.
    func refusal(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) -> CSVFileError? {
        #expect(throws: CSVFileError.self, sourceLocation: sourceLocation) { try parse(text) }
    }

    @Test func readsTheThreeLevelLayout() throws {
        let file = try parse(
            Self.header2021 + """
                10,Tỉnh Lào Cai,087,Huyện Bảo Yên,Huyện,02959,Xã Điện Quan,Xã
                10,Tỉnh Lào Cai,087,Huyện Bảo Yên,Huyện,02947,Thị trấn Phố Ràng,Thị trấn
                31,Thành phố Hải Phòng,318,Huyện Bạch Long Vĩ,Huyện,,,

                """)
        #expect(file.layout == .threeLevel)
        #expect(file.units(at: .province).map(\.code) == ["10", "31"])
        #expect(file.units(at: .province).map(\.typeLabel) == ["Tỉnh", "Thành phố"])
        #expect(file.units(at: .district).map(\.code) == ["087", "318"])
        #expect(file.units(at: .commune).map(\.parentCode) == ["087", "087"])
        #expect(file.units.first { $0.code == "02959" }?.name == "Xã Điện Quan")
    }

    @Test func readsTheTwoLevelLayout() throws {
        let file = try parse(
            "province_code,province_name,commune_code,commune_name,commune_type\n15,Tỉnh Lào Cai,02968,Xã Bảo Yên,Xã\n")
        #expect(file.layout == .twoLevel)
        #expect(file.units(at: .commune).first?.parentCode == "15")
        #expect(file.units(at: .district).isEmpty)
    }

    @Test func storesNamesInNFC() throws {
        let decomposed = "Xã Điện Quan".decomposedStringWithCanonicalMapping
        #expect(decomposed.unicodeScalars.count > "Xã Điện Quan".unicodeScalars.count)
        let file = try parse(Self.header2021 + "10,Tỉnh Lào Cai,087,Huyện Bảo Yên,Huyện,02959,\(decomposed),Xã\n")
        let name = try #require(file.units(at: .commune).first?.name)
        #expect(Array(name.unicodeScalars) == Array("Xã Điện Quan".precomposedStringWithCanonicalMapping.unicodeScalars))
    }

    @Test func quotedFieldsWithCommasAndQuotes() throws {
        let file = try parse(Self.header2021 + "10,\"Tỉnh Lào Cai\",087,\"Huyện \"\"Bảo\"\" Yên, mới\",Huyện,02959,Xã Điện Quan,Xã\r\n")
        #expect(file.units(at: .district).first?.name == "Huyện \"Bảo\" Yên, mới")
    }

    @Test func missingColumnIsRefusedOnTheHeaderLine() {
        let error = refusal("province_code,province_name,commune_code,commune_name\n10,Tỉnh Lào Cai,02959,Xã Điện Quan\n")
        #expect(error?.line == 1)
        #expect(error?.column == "commune_type")
    }

    @Test func badCodeIsRefusedWithItsLine() {
        let error = refusal(Self.header2021 + "10,Tỉnh Lào Cai,087,Huyện Bảo Yên,Huyện,02959,Xã Điện Quan,Xã\n10,Tỉnh Lào Cai,087,Huyện Bảo Yên,Huyện,2959x,Xã Lạ,Xã\n")
        #expect(error?.line == 3)
        #expect(error?.column == "commune_code")
        #expect(error?.description.contains("2959x") == true)
    }

    @Test func communeWithUnknownDistrictIsRefused() {
        let error = refusal(Self.header2021 + "10,Tỉnh Lào Cai,,,,02959,Xã Điện Quan,Xã\n")
        #expect(error?.line == 2)
        #expect(error?.column == "district_code")
        #expect(error?.reason.contains("district is unknown") == true)
    }

    @Test func invalidUTF8IsRefusedWithItsLine() {
        var bytes = Array((Self.header2021 + "10,Tỉnh Lào Cai,087,Huyện Bảo Yên,Huyện,02959,Xã Điện Quan,Xã\n10,Tỉnh Lào Cai,087,Huyện Bảo Yên,Huyện,02960,Xã ").utf8)
        bytes += [0xC3, 0x28]  // an invalid two-byte sequence
        bytes += Array(",Xã\n".utf8)
        let error = #expect(throws: CSVFileError.self) { try AdminUnitsCSV.parse(Data(bytes)) }
        #expect(error?.line == 3)
        #expect(error?.reason.contains("UTF-8") == true)
    }

    @Test func oneCodeWithTwoNamesIsRefused() {
        let error = refusal(Self.header2021 + "10,Tỉnh Lào Cai,087,Huyện Bảo Yên,Huyện,02959,Xã Điện Quan,Xã\n10,Tỉnh Lào Cai,087,Huyện Bảo Thắng,Huyện,02960,Xã Khác,Xã\n")
        #expect(error?.line == 3)
        #expect(error?.column == "district_code")
    }

    @Test func wrongFieldCountAndControlCharactersAreRefused() {
        #expect(throws: CSVFileError.self) { try parse(Self.header2021 + "10,Tỉnh Lào Cai,087\n") }
        #expect(throws: CSVFileError.self) { try parse(Self.header2021 + "10,Tỉnh Lào Cai,087,Huyện\u{7}Bảo Yên,Huyện,02959,Xã Điện Quan,Xã\n") }
        #expect(throws: CSVFileError.self) { try parse("") }
        #expect(throws: CSVFileError.self) { try parse(Self.header2021) }
        #expect(throws: CSVFileError.self) { try parse(Self.header2021 + "10,\"Tỉnh Lào Cai,087\n") }
    }
}
