import ChitieuDomain
import Foundation
import Testing

@Suite("Duplicate members in JSON bodies")
struct JSONDuplicateMemberTests {
    func duplicate(_ text: String) -> String? { JSONText.duplicateMember(in: Array(text.utf8)) }

    @Test func findsTheFirstNameGivenTwiceInOneObjectAtAnyDepth() {
        #expect(duplicate(#"{"value":777, "value":1}"#) == "value")
        #expect(duplicate(#"{"a": 1, "breakdown": {"sex": {"nam": 1, "nữ": 2, "nam": 3}}}"#) == "breakdown.sex.nam")
        #expect(duplicate(#"{"weights": [{"x": 1}, {"y": [1, {"z": 1, "z": 2}]}]}"#) == "weights[1].y[1].z")
        #expect(duplicate(#"[{"a": 1}, {"a": 1, "a": 2}]"#) == "[1].a")
        #expect(duplicate(" {\n\t\"a\" : 1 ,\r\n \"a\" : 2 } ") == "a")
    }

    @Test func comparesNamesAsDecodedText() {
        // Escapes, surrogate pairs and canonically equivalent spellings name one member.
        #expect(duplicate(#"{"value": 1, "\u0076alue": 2}"#) == "value")
        #expect(duplicate(#"{"a\"b": 1, "a\u0022b": 2}"#) == "a\"b")
        #expect(duplicate(#"{"😀": 1, "\ud83d\ude00": 2}"#) == "😀")
        #expect(duplicate("{\"Hoà\": 1, \"Hoa\u{0300}\": 2}") == "Hoà")
    }

    @Test func acceptsObjectsThatNameEachMemberOnce() {
        #expect(duplicate(#"{"a": 1, "b": {"a": 2}, "c": [{"a": 3}, {"a": 4}], "d": "a\"a", "e": null, "f": [true, false, -1.5e3]}"#) == nil)
        #expect(duplicate(#"{"a": "{\"a\":1,\"a\":2}"}"#) == nil)
        #expect(duplicate(#"{"ab": 1, "a\\b": 2, "a": {}, "b": []}"#) == nil)
        #expect(duplicate(#"[]"#) == nil)
        #expect(duplicate(#""text""#) == nil)
    }
}
