import Testing
import YAML

@Suite("YAML with positions")
struct YAMLTests {
    @Test("nodes keep their line and column")
    func marks() throws {
        let text = """
            serverUrls:
              - tcp://a:1883
              - ssl://b:8883
            topics: [x/#, 'y']
            """
        let root = try #require(try YAML.parse(text))
        let pairs = try #require(root.mapping)
        #expect(pairs.map { $0.key.scalar } == ["serverUrls", "topics"])
        let urls = try #require(pairs.first?.value.sequence)
        #expect(urls.map(\.mark) == [Mark(line: 2, column: 5), Mark(line: 3, column: 5)])
        let topics = try #require(pairs.last?.value.sequence)
        #expect(topics.map(\.scalar) == ["x/#", "y"])
        #expect(topics[1].content == .scalar("y", .quoted))
        #expect(topics[1].mark == Mark(line: 4, column: 15))
    }

    @Test("libyaml's errors come with line and column")
    func syntaxError() {
        do {
            _ = try YAML.parse("topics:\n  - a\n bad: [\n")
            Issue.record("accepted broken YAML")
        } catch {
            #expect(error.mark.line >= 2)
            #expect(!error.message.isEmpty)
        }
    }

    @Test("a duplicate key is an error at the second key")
    func duplicateKey() {
        #expect(throws: YAMLError("duplicate key 'topics'", at: Mark(line: 2, column: 1))) {
            try YAML.parse("topics: [a]\ntopics: [b]\n")
        }
    }

    @Test("anchors and aliases are resolved; alias bombs are refused")
    func aliases() throws {
        let root = try #require(try YAML.parse("a: &x [1, 2]\nb: *x\n"))
        let pairs = try #require(root.mapping)
        #expect(pairs.count == 2)
        #expect(pairs.first?.value.content == pairs.last?.value.content)
        var bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
        for level in 1..<8 {
            let previous = String(UnicodeScalar(UInt8(96 + level)))
            let name = String(UnicodeScalar(UInt8(97 + level)))
            bomb += "\(name): &\(name) [" + Array(repeating: "*\(previous)", count: 10).joined(separator: ", ") + "]\n"
        }
        #expect(throws: YAMLError.self) { try YAML.parse(bomb) }
    }

    @Test("several documents, null and block scalars")
    func documentsAndScalars() throws {
        let documents = try YAML.parseDocuments("a: ~\n---\nb: |\n  line one\n  line two\n")
        #expect(documents.count == 2)
        let first = try #require(documents.first?.mapping)
        let second = try #require(documents.last?.mapping)
        #expect(first[0].value.isNull)
        #expect(second[0].value.content == .scalar("line one\nline two\n", .literal))
        #expect(second[0].value.mark == Mark(line: 3, column: 4))
        #expect(try YAML.parse("# only a comment\n") == nil)
    }

    // MARK: - Limits: hostile text is refused before anything walks it

    @Test(
        "nesting past 64 levels is refused where it happens, however deep the text goes",
        arguments: [
            ("topics:\n  " + String(repeating: "- ", count: 60_000), 2),
            (String(repeating: "[", count: 200_000), 1),
            (String(repeating: "{a: ", count: 60_000), 1),
            ("a:\n" + (1...70).map { String(repeating: " ", count: $0) + "b:\n" }.joined(), 65),
        ]
    )
    func deepNesting(_ text: String, _ line: Int) {
        #expect {
            try YAML.parse(text)
        } throws: { error in
            guard let error = error as? YAMLError else { return false }
            return error.message == "collections nested deeper than 64 levels" && error.mark.line == line
        }
    }

    @Test("64 levels are fine, 65 are not")
    func depthBoundary() throws {
        #expect(try YAML.parse(String(repeating: "[", count: 64) + String(repeating: "]", count: 64)) != nil)
        #expect(throws: YAMLError("collections nested deeper than 64 levels", at: Mark(line: 1, column: 65))) {
            try YAML.parse(String(repeating: "[", count: 65) + String(repeating: "]", count: 65))
        }
    }

    @Test("aliases cannot nest a tree past the limit in a few bytes")
    func aliasDepth() {
        let deep = String(repeating: "[", count: 40) + "x" + String(repeating: "]", count: 40)
        let text = "a: &a \(deep)\nb: &b \(String(repeating: "[", count: 30))*a\(String(repeating: "]", count: 30))\n"
        #expect {
            try YAML.parse(text)
        } throws: { error in
            (error as? YAMLError)?.message == "collections nested deeper than 64 levels (through '*a')"
        }
    }

    @Test("a text over the byte budget is refused before libyaml reads it")
    func tooLarge() {
        let limits = YAML.Limits(maximumBytes: 1_000, maximumDepth: 64, maximumNodes: 100)
        #expect(throws: YAMLError("the text is 1001 bytes; at most 1000 are read", at: Mark(line: 1, column: 1))) {
            try YAML.parse("a: " + String(repeating: "x", count: 998), limits: limits)
        }
    }
}
