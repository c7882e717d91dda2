@testable import ChitieuServer
import ChitieuDomain
import Foundation
import Testing

/// Numbers, rates and days as the pages write them for officers in Vietnam.
@Suite("Vietnamese numbers and days on the pages")
struct WebFormatTests {
    @Test func numbersUseDotsBetweenThousandsAndRatesADecimalComma() {
        #expect(WebFormat.integer(424) == "424")
        #expect(WebFormat.integer(3816) == "3.816")
        #expect(WebFormat.integer(1_234_567) == "1.234.567")
        #expect(WebFormat.integer(-3816) == "-3.816")
        #expect(WebFormat.percent(0.861) == "86,1 %")
        #expect(WebFormat.percent(1) == "100 %")
        #expect(WebFormat.percent(9.0) == "900 %")
        #expect(WebFormat.percent(12.3456) == "1.234,6 %")
        #expect(WebFormat.date(CalendarDate(dayMonthYear: "24/10/2022")!) == "24/10/2022")
        // 17:30 UTC is half past midnight of the next day in Vietnam.
        #expect(WebFormat.dateTime(Date(timeIntervalSince1970: 1_767_202_200)) == "01/01/2026 00:30")
    }

    @Test func aFormIsDecodedAndNormalized() {
        let form = WebForm.parse("_csrf=abc&name=Ho%CC%80a+Bi%CC%80nh&tag=a&tag=b&empty=")
        #expect(form["_csrf"] == "abc")
        #expect(form["name"] == "Hòa Bình".precomposedStringWithCanonicalMapping)
        #expect(form.values("tag") == ["a", "b"])
        #expect(form.text("empty") == nil)
    }

    @Test func onlyPathsOfThisSiteAreFollowedAfterSigningIn() {
        #expect(WebSession.safeNext("/tong-quan?phase=2021-2025") == "/tong-quan?phase=2021-2025")
        for hostile in ["//evil.example/", "https://evil.example/", "/\\evil.example", nil, "tong-quan"] {
            #expect(WebSession.safeNext(hostile) == "/tong-quan")
        }
    }
}
