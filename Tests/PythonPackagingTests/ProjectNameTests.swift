import Testing
@testable import PythonPackaging

/// Expected values from Python's `packaging.utils.canonicalize_name` and its name-validation regex.
enum ProjectNameTable {
    static let names: [(name: String, normalized: String, isValid: Bool)] = [
        ("Django", "django", true),
        ("django", "django", true),
        ("Foo.Bar__baz", "foo-bar-baz", true),
        ("foo-bar-baz", "foo-bar-baz", true),
        ("FOO_BAR", "foo-bar", true),
        ("foo._-bar", "foo-bar", true),
        ("zope.interface", "zope-interface", true),
        ("A", "a", true),
        ("a-", "a-", false),
        ("-a", "-a", false),
        ("a__b", "a-b", true),
        ("Flask-SQLAlchemy", "flask-sqlalchemy", true),
        ("pip", "pip", true),
        ("_private", "-private", false),
        ("a.b", "a-b", true),
        ("1", "1", true),
        ("1a", "1a", true),
        ("foo bar", "foo bar", false),
        ("foo!", "foo!", false),
        ("", "", false),
        ("caf\u{e9}", "caf\u{e9}", false),
        ("\u{c9}clair", "\u{e9}clair", false),
        ("a--b", "a-b", true),
        ("x..y", "x-y", true),
    ]
}

@Suite("ProjectName")
struct ProjectNameTests {
    @Test("normalizes and validates like packaging", arguments: ProjectNameTable.names)
    func normalizes(name: String, normalized: String, isValid: Bool) {
        #expect(ProjectName.normalize(name) == normalized)
        #expect(ProjectName.isValid(name) == isValid)
    }

    @Test("isNormalized means valid and unchanged by normalization")
    func isNormalized() {
        #expect(ProjectName.isNormalized("foo-bar"))
        #expect(!ProjectName.isNormalized("Foo-bar"))
        #expect(!ProjectName.isNormalized("foo_bar"))
        #expect(!ProjectName.isNormalized("foo--bar"))
        #expect(!ProjectName.isNormalized("-foo"))
    }
}
