import Testing
@testable import PythonPackaging

/// One expected parse: filename, project hint, kind, project, normalized project, version, build tag, tags, extension.
struct FilenameCase: Sendable, CustomTestStringConvertible {
    let filename: String
    var hint: String? = nil
    let kind: DistributionFilename.Kind
    let project: String
    let normalized: String
    let version: String
    var buildTag: String? = nil
    var tags: [String] = []
    let archiveExtension: String

    var testDescription: String { filename }
}

enum FilenameTable {
    static let valid: [FilenameCase] = [
        // Wheels (PEP 427 and the binary distribution format).
        .init(filename: "foo_bar-1.0-py3-none-any.whl", kind: .wheel, project: "foo-bar", normalized: "foo-bar", version: "1.0",
              tags: ["py3-none-any"], archiveExtension: ".whl"),
        .init(filename: "Django-5.0-py3-none-any.whl", kind: .wheel, project: "Django", normalized: "django", version: "5.0",
              tags: ["py3-none-any"], archiveExtension: ".whl"),
        .init(filename: "foo-1.0-1-py2.py3-none-any.whl", kind: .wheel, project: "foo", normalized: "foo", version: "1.0",
              buildTag: "1", tags: ["py2-none-any", "py3-none-any"], archiveExtension: ".whl"),
        .init(filename: "foo-1.0-2b-cp311-cp311.abi3-manylinux_2_17_x86_64.manylinux2014_x86_64.whl", kind: .wheel, project: "foo",
              normalized: "foo", version: "1.0", buildTag: "2b",
              tags: [
                  "cp311-cp311-manylinux_2_17_x86_64", "cp311-cp311-manylinux2014_x86_64",
                  "cp311-abi3-manylinux_2_17_x86_64", "cp311-abi3-manylinux2014_x86_64",
              ],
              archiveExtension: ".whl"),
        .init(filename: "zope.interface-6.0-cp311-cp311-win_amd64.whl", kind: .wheel, project: "zope.interface",
              normalized: "zope-interface", version: "6.0", tags: ["cp311-cp311-win_amd64"], archiveExtension: ".whl"),
        .init(filename: "torch-2.2.0+cpu-cp311-cp311-linux_x86_64.whl", kind: .wheel, project: "torch", normalized: "torch",
              version: "2.2.0+cpu", tags: ["cp311-cp311-linux_x86_64"], archiveExtension: ".whl"),
        .init(filename: "My_Package-0.1.dev3-py3-none-any.whl", kind: .wheel, project: "My-Package", normalized: "my-package",
              version: "0.1.dev3", tags: ["py3-none-any"], archiveExtension: ".whl"),
        // Sdists: PEP 625 and legacy forms.
        .init(filename: "Django-5.0.tar.gz", kind: .sdist, project: "Django", normalized: "django", version: "5.0", archiveExtension: ".tar.gz"),
        .init(filename: "zope.interface-6.0.tar.gz", kind: .sdist, project: "zope.interface", normalized: "zope-interface",
              version: "6.0", archiveExtension: ".tar.gz"),
        .init(filename: "foo_bar-1.0.tar.gz", kind: .sdist, project: "foo_bar", normalized: "foo-bar", version: "1.0", archiveExtension: ".tar.gz"),
        .init(filename: "python-dateutil-2.8.2.tar.gz", kind: .sdist, project: "python-dateutil", normalized: "python-dateutil",
              version: "2.8.2", archiveExtension: ".tar.gz"),
        .init(filename: "foo-bar-1.0-2.zip", kind: .sdist, project: "foo-bar-1.0", normalized: "foo-bar-1-0", version: "2", archiveExtension: ".zip"),
        .init(filename: "foo-bar-1.0-2.zip", hint: "foo-bar", kind: .sdist, project: "foo-bar", normalized: "foo-bar",
              version: "1.0-2", archiveExtension: ".zip"),
        .init(filename: "Foo.Bar-1.0-beta.tar.gz", hint: "foo-bar", kind: .sdist, project: "Foo.Bar", normalized: "foo-bar",
              version: "1.0-beta", archiveExtension: ".tar.gz"),
        .init(filename: "pytz-2023.3.tar.bz2", kind: .sdist, project: "pytz", normalized: "pytz", version: "2023.3", archiveExtension: ".tar.bz2"),
        .init(filename: "foo-1.0.tgz", kind: .sdist, project: "foo", normalized: "foo", version: "1.0", archiveExtension: ".tgz"),
        .init(filename: "foo-1.0.tar.xz", kind: .sdist, project: "foo", normalized: "foo", version: "1.0", archiveExtension: ".tar.xz"),
        .init(filename: "foo-1.0.tar", kind: .sdist, project: "foo", normalized: "foo", version: "1.0", archiveExtension: ".tar"),
        .init(filename: "Foo-1.0.ZIP", kind: .sdist, project: "Foo", normalized: "foo", version: "1.0", archiveExtension: ".ZIP"),
        .init(filename: "foo-v1.0.tar.gz", kind: .sdist, project: "foo", normalized: "foo", version: "v1.0", archiveExtension: ".tar.gz"),
        .init(filename: "foo-dev.tar.gz", kind: .sdist, project: "foo", normalized: "foo", version: "dev", archiveExtension: ".tar.gz"),
        .init(filename: "pywin32-ctypes-0.2.2.tar.gz", kind: .sdist, project: "pywin32-ctypes", normalized: "pywin32-ctypes",
              version: "0.2.2", archiveExtension: ".tar.gz"),
        // Eggs and retired installers, kept for proxying.
        .init(filename: "foo_bar-1.0-py2.7.egg", kind: .egg, project: "foo_bar", normalized: "foo-bar", version: "1.0", archiveExtension: ".egg"),
        .init(filename: "setuptools-0.6c11-py2.7-linux-x86_64.egg", kind: .egg, project: "setuptools", normalized: "setuptools",
              version: "0.6c11", archiveExtension: ".egg"),
        .init(filename: "pywin32-306.win32-py3.7.exe", kind: .other, project: "pywin32", normalized: "pywin32", version: "306", archiveExtension: ".exe"),
        .init(filename: "numpy-1.9.0.win-amd64-py2.7.exe", kind: .other, project: "numpy", normalized: "numpy", version: "1.9.0", archiveExtension: ".exe"),
        .init(filename: "foo-1.0.win32.msi", kind: .other, project: "foo", normalized: "foo", version: "1.0", archiveExtension: ".msi"),
        .init(filename: "foo-1.0-1.noarch.rpm", kind: .other, project: "foo", normalized: "foo", version: "1.0", archiveExtension: ".rpm"),
        .init(filename: "matplotlib-1.0.1-py2.6-macosx10.6.dmg", kind: .other, project: "matplotlib", normalized: "matplotlib",
              version: "1.0.1", archiveExtension: ".dmg"),
        .init(filename: "foo-1.0.linux-x86_64.tar.gz", kind: .other, project: "foo", normalized: "foo", version: "1.0", archiveExtension: ".tar.gz"),
    ]

    static let invalid: [String] = [
        "foo-1.0-py3-none.whl",                // four parts
        "foo-bar-1.0-1-py3-none-any.whl",      // seven parts
        "foo-1.0-a1-py3-none-any.whl",         // build tag must start with a digit
        "foo-1.0--py3-none-any.whl",           // empty build tag
        "foo__bar-1.0-py3-none-any.whl",       // not escaped
        "foo bar-1.0-py3-none-any.whl",        // space in the name
        "-1.0-py3-none-any.whl",               // empty name
        ".whl",
        "foo.tar.gz",                          // no version
        "-1.0.tar.gz",                         // no name
        "foo-.tar.gz",                         // empty version
        "foo-1.0.txt",
        "README",
        "",
        "foo.egg",
    ]

    static let validUploads: [String] = [
        "foo_bar-1.0-py3-none-any.whl", "foo-1.0.tar.gz", "foo-1.0.zip", "Foo.Bar-2.0rc1.tar.gz", "foo-1.0-1-cp312-cp312-macosx_11_0_arm64.whl",
    ]

    static let invalidUploads: [String] = [
        "", "../foo-1.0.tar.gz", "foo/bar-1.0.tar.gz", "foo\\bar-1.0.tar.gz", "foo-1.0.tar.gz\u{0}", "foo\n-1.0.tar.gz", "foo\u{7f}-1.0.tar.gz",
        "foo\u{85}-1.0.tar.gz", ".foo-1.0.tar.gz", "foo..bar-1.0.tar.gz", "foo-1.0.tar.bz2", "foo-1.0.tgz", "foo-1.0-py2.7.egg", "foo-1.0.win32.exe",
        "foo-1.0-py3-none-any.WHL", "foo-notaversion.tar.gz", "foo-1.0_beta!-py3-none-any.whl", "-foo-1.0.tar.gz", "foo_-1.0-py3-none-any.whl",
        String(repeating: "x", count: 300) + "-1.0.tar.gz", "foo-1.0.linux-x86_64.tar.gz", "foo-1.0-py3-none.whl",
    ]
}

@Suite("DistributionFilename")
struct DistributionFilenameTests {
    @Test("parses valid filenames", arguments: FilenameTable.valid)
    func parses(expected: FilenameCase) throws {
        let parsed = try DistributionFilename(expected.filename, project: expected.hint)
        #expect(parsed.filename == expected.filename)
        #expect(parsed.kind == expected.kind)
        #expect(parsed.project == expected.project)
        #expect(parsed.normalizedProject == expected.normalized)
        #expect(parsed.version == expected.version)
        #expect(parsed.buildTag == expected.buildTag)
        #expect(parsed.tags == expected.tags)
        #expect(parsed.archiveExtension == expected.archiveExtension)
    }

    @Test("rejects invalid filenames", arguments: FilenameTable.invalid)
    func rejects(filename: String) {
        #expect(throws: PackagingError.self) { try DistributionFilename(filename) }
    }

    @Test("wheel errors explain the expected form")
    func wheelMessage() {
        do {
            _ = try DistributionFilename("x.whl")
            Issue.record("expected an error")
        } catch let error as PackagingError {
            #expect(error.code == .invalidFilename)
            #expect(error.message == "invalid wheel filename 'x.whl': expected {name}-{version}(-{build})?-{python}-{abi}-{platform}.whl")
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test("kinds carry the upload API's filetype")
    func filetypes() {
        #expect(DistributionFilename.Kind.wheel.rawValue == "bdist_wheel")
        #expect(DistributionFilename.Kind.sdist.rawValue == "sdist")
        #expect(DistributionFilename.Kind.egg.rawValue == "bdist_egg")
    }

    @Test("the version parses when it is PEP 440")
    func parsedVersion() throws {
        #expect(try DistributionFilename("foo-1.0.post1.tar.gz").parsedVersion == (try Version("1.0.post1")))
        #expect(try DistributionFilename("foo-dev.tar.gz").parsedVersion == nil)
    }

    @Test("accepts wheels and sdists for upload", arguments: FilenameTable.validUploads)
    func validUpload(filename: String) throws {
        let parsed = try DistributionFilename.validateForUpload(filename)
        #expect(parsed == (try DistributionFilename(filename)))
    }

    @Test("rejects unsafe or unsupported upload filenames", arguments: FilenameTable.invalidUploads)
    func invalidUpload(filename: String) {
        do {
            _ = try DistributionFilename.validateForUpload(filename)
            Issue.record("expected '\(filename)' to be rejected")
        } catch let error as PackagingError {
            #expect(error.code == .invalidFilename)
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }
}
