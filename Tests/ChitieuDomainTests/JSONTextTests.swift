import ChitieuDomain
import Foundation
import Testing

@Suite("JSON text for API answers")
struct JSONTextTests {
    @Test func writesWhatJSONSerializationReadsBackTheSame() throws {
        let value: [String: Any] = [
            "tên": "Xã A Mú Sung", "quote": "say \"hi\"\\ / \n\t\u{01}", "int": 424, "big": Int64(9_007_199_254_740_993), "neg": -3,
            "rate": 0.875, "whole": 2.0, "yes": true, "no": false, "null": NSNull(), "nil": Optional<Int>.none as Any,
            "list": [1, "hai", [true], ["k": NSNull()]] as [Any], "empty": [String: Any](), "none": [Any](),
            "nested": ["b": 1, "a": ["z", "y"]] as [String: Any], "typed": ["a": 1, "b": 2] as [String: Int],
        ]
        let text = JSONText.string(value)
        let back = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(NSDictionary(dictionary: back).isEqual(to: [
            "tên": "Xã A Mú Sung", "quote": "say \"hi\"\\ / \n\t\u{01}", "int": 424, "big": Int64(9_007_199_254_740_993), "neg": -3,
            "rate": 0.875, "whole": 2, "yes": true, "no": false, "null": NSNull(), "nil": NSNull(),
            "list": [1, "hai", [true], ["k": NSNull()]] as [Any], "empty": [String: Any](), "none": [Any](),
            "nested": ["b": 1, "a": ["z", "y"]] as [String: Any], "typed": ["a": 1, "b": 2],
        ]))
        // Keys in byte order, slashes as they are, Vietnamese as UTF-8, integers without a fraction.
        #expect(JSONText.string(["b": 1, "a": "x/y", "ă": 2.0, "c": [true, false]] as [String: Any]) == #"{"a":"x/y","b":1,"c":[true,false],"ă":2}"#)
        #expect(JSONText.string(["x": Double.nan]) == #"{"x":null}"#)
    }

    @Test func numbersAndBooleansParsedFromJSONStayWhatTheyWere() throws {
        let parsed = try JSONSerialization.jsonObject(with: Data(#"{"a":true,"b":1,"c":1.5,"d":false,"e":0,"f":null}"#.utf8))
        #expect(JSONText.string(parsed) == #"{"a":true,"b":1,"c":1.5,"d":false,"e":0,"f":null}"#)
    }
}
