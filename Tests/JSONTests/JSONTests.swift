import JSON
import Testing

@Suite("JSON")
struct JSONTests {
    @Test("objects, arrays, strings with escapes, numbers, literals")
    func values() throws {
        let value = try JSONValue.parse(
            #"{"state":"online","n":-1.5e2,"ok":true,"none":null,"list":[1,"a\n\u00e9\ud83d\ude00",false],"x":{}}"#
        )
        #expect(value["state"] == .string("online"))
        #expect(value["n"]?.number == -150)
        #expect(value["ok"] == .bool(true))
        #expect(value["none"] == .null)
        #expect(value["list"]?.array == [.number(1), .string("a\né😀"), .bool(false)])
        #expect(value["x"] == .object([]))
    }

    @Test(
        "malformed JSON is refused with the offset",
        arguments: [
            ("", 0), ("{", 1), ("[1,]", 3), ("{\"a\" 1}", 5), ("tru", 0), ("\"a", 2), ("01", 1), ("1.", 2),
            ("\"\\x\"", 3), ("\"\u{1}\"", 2), ("[1] 2", 4), ("\"\\ud800\"", 7),
        ]
    )
    func malformed(_ text: String, _ offset: Int) {
        do {
            _ = try JSONValue.parse(text)
            Issue.record("accepted \(text)")
        } catch {
            #expect(error.offset == offset, "\(text): \(error)")
        }
    }

    @Test("deep nesting is refused")
    func depth() {
        #expect(throws: JSONError.self) { try JSONValue.parse(String(repeating: "[", count: 500)) }
    }
}
