import PythonPackaging
import Testing
import WheelhouseCore

/// Upload checks added against hostile input: form limits, equivalent filenames, ASCII names.
@Suite struct UploadLimitsTests {
    @Test func formFieldsAreBoundedEachAndInTotal() throws {
        var form = UploadForm()
        try form.add("description", String(repeating: "d", count: UploadForm.maxDescriptionBytes))
        #expect(throws: WheelhouseError.self) { try form.admit(field: "summary", bytes: UploadForm.maxFieldBytes + 1) }
        #expect(throws: WheelhouseError.self) { try form.admit(field: "description", bytes: UploadForm.maxDescriptionBytes + 1) }
        try form.admit(field: "license", bytes: UploadForm.maxFieldBytes)
        for _ in 0..<((UploadForm.maxTotalBytes - UploadForm.maxDescriptionBytes) / UploadForm.maxFieldBytes) - 1 {
            try form.add("classifiers", String(repeating: "c", count: UploadForm.maxFieldBytes))
        }
        let error = #expect(throws: WheelhouseError.self) {
            try form.add("classifiers", String(repeating: "c", count: UploadForm.maxFieldBytes))
        }
        #expect(error?.status == 400)
        #expect(error?.message.contains("classifiers") == true)
    }

    @Test func equivalentFilenamesAreTheSameFile() throws {
        let stored = ["good-1.0-py3-none-any.whl", "good-1.0.tar.gz"]
        for name in ["good-1.0.0-py3-none-any.whl", "Good-1.0-py3-none-any.whl", "good-1.0-0-py3-none-any.whl",
                     "good-1.0-py3.py3-none-any.whl", "GOOD-1.0.0-7-py3-none-any.whl", "good-1.0.0.tar.gz", "good-1.0.zip"] {
            let upload = try DistributionFilename(name)
            #expect(UploadValidation.equivalent(of: upload, among: stored) != nil, "\(name)")
        }
        for name in ["good-1.0-py3-none-any.whl", "good-1.0-py2-none-any.whl", "good-1.0-py2.py3-none-any.whl",
                     "good-1.1-py3-none-any.whl", "good-1.0.post1-py3-none-any.whl", "goody-1.0-py3-none-any.whl"] {
            let upload = try DistributionFilename(name)
            #expect(UploadValidation.equivalent(of: upload, among: stored) == nil, "\(name)")
        }
    }

    @Test func metadataNamesMustBeASCII() throws {
        let upload = ValidatedUploadFixture.kelvin
        let kelvinSign = "\u{212A}elvin"
        #expect(ProjectName.normalize(kelvinSign) == "kelvin")   // why the check is needed
        #expect(throws: WheelhouseError.self) {
            try UploadValidation.validate(metadata: try CoreMetadata(parsing: Array("Metadata-Version: 2.1\nName: \(kelvinSign)\nVersion: 1.0\n".utf8)), for: upload)
        }
        try UploadValidation.validate(metadata: try CoreMetadata(parsing: Array("Metadata-Version: 2.1\nName: Kelvin\nVersion: 1.0\n".utf8)), for: upload)
    }
}

enum ValidatedUploadFixture {
    static var kelvin: ValidatedUpload {
        var form = UploadForm()
        try! form.add("name", "kelvin")
        try! form.add("version", "1.0")
        return try! UploadValidation.validate(
            form: form, filename: "kelvin-1.0-py3-none-any.whl", digests: DistributionDigests(sha256: "", blake2b256: "", md5: ""))
    }
}
