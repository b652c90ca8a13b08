import Testing
@testable import PythonPackaging

@Suite("CoreMetadata")
struct CoreMetadataTests {
    static let wheelMetadata = """
        Metadata-Version: 2.1
        Name: Foo.Bar
        Version: 1.0rc1
        Summary: A test package  
        Requires-Python: >=3.9
        Requires-Dist: requests>=2
        Requires-Dist: tomli; python_version < "3.11"
        Provides-Extra: cli
        Classifier: Programming Language :: Python :: 3
        Classifier: License :: OSI Approved :: MIT License
        Project-URL: Homepage, https://example.org
        Project-URL: Source, https://example.org/src
        License: MIT
        Description-Content-Type: text/markdown
        Dynamic: Requires-Dist

        # Foo.Bar

          indented line
        last line

        """

    @Test("reads the named fields and the body as the description")
    func namedFields() throws {
        let metadata = try CoreMetadata(parsing: Array(Self.wheelMetadata.utf8))
        #expect(metadata.metadataVersion == "2.1")
        #expect(metadata.name == "Foo.Bar")
        #expect(metadata.version == "1.0rc1")
        #expect(metadata.summary == "A test package")
        #expect(metadata.requiresPython == ">=3.9")
        #expect(metadata.requiresDist == ["requests>=2", "tomli; python_version < \"3.11\""])
        #expect(metadata.providesExtra == ["cli"])
        #expect(metadata.classifiers == ["Programming Language :: Python :: 3", "License :: OSI Approved :: MIT License"])
        #expect(metadata.projectURLs == ["Homepage, https://example.org", "Source, https://example.org/src"])
        #expect(metadata.license == "MIT")
        #expect(metadata.descriptionContentType == "text/markdown")
        #expect(metadata.dynamic == ["Requires-Dist"])
        #expect(metadata.description == "# Foo.Bar\n\n  indented line\nlast line\n")
        #expect(metadata.fields.count == 15)
        #expect(metadata.fields.first == CoreMetadata.Field(name: "Metadata-Version", value: "2.1"))
    }

    @Test("looks fields up case-insensitively, keeping repeated fields in order")
    func lookup() throws {
        let metadata = try CoreMetadata(parsing: Array("NAME: foo\nclassifier: A\nClassifier: B\nCLASSIFIER: C\n".utf8))
        #expect(metadata.value("name") == "foo")
        #expect(metadata.values("Classifier") == ["A", "B", "C"])
        #expect(metadata.value("Version") == nil)
        #expect(metadata.values("Requires-Dist").isEmpty)
        #expect(metadata.body == nil)
        #expect(metadata.description == nil)
    }

    @Test("accepts CRLF line endings")
    func crlf() throws {
        let text = "Metadata-Version: 2.1\r\nName: foo\r\nVersion: 1.0\r\nDescription: one\r\n        two\r\n\r\nbody\r\n"
        let metadata = try CoreMetadata(parsing: Array(text.utf8))
        #expect(metadata.name == "foo")
        #expect(metadata.version == "1.0")
        #expect(metadata.description == "one\ntwo")
        #expect(metadata.body == "body\n")
    }

    @Test("strips the Description continuation prefix (eight spaces or seven and '|')")
    func descriptionContinuation() throws {
        let text = "Name: foo\nDescription: first\n        second\n       |\n       |  indented\n        \n            deeper\n\tTabbed\nVersion: 1\n"
        let metadata = try CoreMetadata(parsing: Array(text.utf8))
        #expect(metadata.description == "first\nsecond\n\n  indented\n\n    deeper\nTabbed")
        #expect(metadata.version == "1")
    }

    @Test("joins continuation lines of other fields with newlines")
    func otherContinuations() throws {
        let text = "Name: foo\nKeywords: a,\n\tb,\n   c\nLicense: line one\n        line two\n          indented\n"
        let metadata = try CoreMetadata(parsing: Array(text.utf8))
        #expect(metadata.value("Keywords") == "a,\nb,\nc")
        #expect(metadata.license == "line one\nline two\n  indented")
    }

    @Test("a Description header wins over the body")
    func descriptionHeaderWins() throws {
        let metadata = try CoreMetadata(parsing: Array("Name: foo\nDescription: header\n\nbody text\n".utf8))
        #expect(metadata.description == "header")
        #expect(metadata.body == "body text\n")
    }

    @Test("falls back to Latin-1 when the bytes are not UTF-8")
    func latin1() throws {
        let bytes: [UInt8] = Array("Name: foo\nAuthor: Ren".utf8) + [0xE9] + Array("\n".utf8)
        let metadata = try CoreMetadata(parsing: bytes)
        #expect(metadata.value("Author") == "René")
    }

    @Test("reads UTF-8 and skips a byte-order mark")
    func utf8() throws {
        let bytes: [UInt8] = [0xEF, 0xBB, 0xBF] + Array("Name: foo\nAuthor: 山田 太郎\n".utf8)
        let metadata = try CoreMetadata(parsing: bytes)
        #expect(metadata.name == "foo")
        #expect(metadata.value("Author") == "山田 太郎")
    }

    @Test("a line that is not a field starts the body, as in Python's email parser")
    func missingSeparator() throws {
        let metadata = try CoreMetadata(parsing: Array("Name: foo\nVersion: 1.0\nThis is the description\nmore\n".utf8))
        #expect(metadata.version == "1.0")
        #expect(metadata.description == "This is the description\nmore\n")
    }

    @Test("an empty body is no description")
    func emptyBody() throws {
        let metadata = try CoreMetadata(parsing: Array("Name: foo\n\n".utf8))
        #expect(metadata.body == "")
        #expect(metadata.description == nil)
    }

    @Test("rejects data that does not start with a field", arguments: ["not metadata at all", " continuation first: x", ": no name", "\u{1}\u{2}binary"])
    func rejects(text: String) {
        #expect(throws: PackagingError.self) { try CoreMetadata(parsing: Array(text.utf8)) }
    }

    @Test("is equatable by fields and body")
    func equality() throws {
        let left = try CoreMetadata(parsing: Array("Name: foo\r\nVersion: 1\r\n".utf8))
        let right = CoreMetadata(fields: [.init(name: "Name", value: "foo"), .init(name: "Version", value: "1")])
        #expect(left == right)
    }
}
