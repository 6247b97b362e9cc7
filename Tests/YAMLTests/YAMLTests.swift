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
}
