import Foundation
import AsyncHTTPClient
import Testing
@testable import WheelhouseBlobs
import WheelhouseCore

/// SigV4 against the examples AWS publishes: the Signature Version 4 test suite (`get-vanilla` and
/// friends: service `service`, 2015-08-30) and the S3 API reference's worked examples (bucket
/// `examplebucket`, 2013-05-24). A signing mistake only ever shows up as `403 SignatureDoesNotMatch`,
/// so every step is compared exactly: canonical request, string to sign, signature.
@Suite("SigV4")
struct SigV4Tests {
    static let suite = SigV4(
        credentials: .init(accessKey: "AKIDEXAMPLE", secretKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"),
        region: "us-east-1", service: "service")
    static let s3 = SigV4(
        credentials: .init(accessKey: "AKIAIOSFODNN7EXAMPLE", secretKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
        region: "us-east-1")
    static let suiteDate = "20150830T123600Z"
    static let s3Date = "20130524T000000Z"
    static let emptyHash = SigV4.emptyPayloadHash

    func check(
        _ signer: SigV4, _ request: SigV4.Request, payloadHash: String, amzDate: String,
        canonical: String, stringToSign: String, signature: String
    ) {
        let (actualCanonical, signedHeaders) = signer.canonicalRequest(request, payloadHash: payloadHash)
        #expect(actualCanonical == canonical)
        let actualStringToSign = signer.stringToSign(canonicalRequest: actualCanonical, amzDate: amzDate)
        #expect(actualStringToSign == stringToSign)
        #expect(signer.signature(stringToSign: actualStringToSign, amzDate: amzDate) == signature)
        let scope = "\(amzDate.prefix(8))/\(signer.region)/\(signer.service)/aws4_request"
        #expect(
            signer.authorization(for: request, payloadHash: payloadHash, amzDate: amzDate)
                == "AWS4-HMAC-SHA256 Credential=\(signer.credentials.accessKey)/\(scope), SignedHeaders=\(signedHeaders), Signature=\(signature)")
    }

    @Test func getVanilla() {
        check(
            Self.suite,
            .init(method: "GET", path: "/", headers: [("Host", "example.amazonaws.com"), ("X-Amz-Date", Self.suiteDate)]),
            payloadHash: Self.emptyHash, amzDate: Self.suiteDate,
            canonical: "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n\(Self.emptyHash)",
            stringToSign: "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\nbb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63",
            signature: "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31")
    }

    /// Query parameters are sorted by name whatever order they come in.
    @Test func getVanillaQueryOrderKeyCase() {
        let request = SigV4.Request(
            method: "GET", path: "/", query: [("Param2", "value2"), ("Param1", "value1")],
            headers: [("Host", "example.amazonaws.com"), ("X-Amz-Date", Self.suiteDate)])
        #expect(request.encodedQuery == "Param1=value1&Param2=value2")
        let auth = Self.suite.authorization(for: request, payloadHash: Self.emptyHash, amzDate: Self.suiteDate)
        #expect(auth.hasSuffix("Signature=b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"))
    }

    /// Non-ASCII path bytes are percent-encoded once, upper-case hex.
    @Test func getUTF8() {
        check(
            Self.suite,
            .init(method: "GET", path: "/\u{1234}", headers: [("Host", "example.amazonaws.com"), ("X-Amz-Date", Self.suiteDate)]),
            payloadHash: Self.emptyHash, amzDate: Self.suiteDate,
            canonical: "GET\n/%E1%88%B4\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n\(Self.emptyHash)",
            stringToSign: "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n2a0a97d02205e45ce2e994789806b19270cfbbb0921b278ccf58f5249ac42102",
            signature: "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85")
    }

    /// S3 "GET Object": the first 10 bytes of `test.txt`, with a signed `Range` header.
    @Test func s3GetObjectWithRange() {
        let canonical = """
            GET
            /test.txt

            host:examplebucket.s3.amazonaws.com
            range:bytes=0-9
            x-amz-content-sha256:\(Self.emptyHash)
            x-amz-date:20130524T000000Z

            host;range;x-amz-content-sha256;x-amz-date
            \(Self.emptyHash)
            """
        check(
            Self.s3,
            .init(
                method: "GET", path: "/test.txt",
                headers: [
                    ("Host", "examplebucket.s3.amazonaws.com"), ("Range", "bytes=0-9"),
                    ("x-amz-content-sha256", Self.emptyHash), ("x-amz-date", Self.s3Date),
                ]),
            payloadHash: Self.emptyHash, amzDate: Self.s3Date, canonical: canonical,
            stringToSign: "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972",
            signature: "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")
    }

    /// `sign` is what the store calls: it adds `x-amz-date` and `x-amz-content-sha256` itself and
    /// must reach the same signature as the worked example.
    @Test func signAddsTheHeadersS3Needs() {
        let request = SigV4.Request(
            method: "GET", path: "/test.txt", headers: [("host", "examplebucket.s3.amazonaws.com"), ("range", "bytes=0-9")])
        let headers = Self.s3.sign(request, payloadHash: Self.emptyHash, date: Date(timeIntervalSince1970: 1_369_353_600))
        let byName = Dictionary(headers.map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a })
        #expect(byName["x-amz-date"] == Self.s3Date)
        #expect(byName["x-amz-content-sha256"] == Self.emptyHash)
        #expect(
            byName["authorization"]
                == "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")
    }

    /// S3 "PUT Object": a `$` in the key is encoded, a `Date` header and a storage class are signed.
    @Test func s3PutObject() {
        let payload = "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072"
        let canonical = """
            PUT
            /test%24file.text

            date:Fri, 24 May 2013 00:00:00 GMT
            host:examplebucket.s3.amazonaws.com
            x-amz-content-sha256:\(payload)
            x-amz-date:20130524T000000Z
            x-amz-storage-class:REDUCED_REDUNDANCY

            date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class
            \(payload)
            """
        check(
            Self.s3,
            .init(
                method: "PUT", path: "/test$file.text",
                headers: [
                    ("Host", "examplebucket.s3.amazonaws.com"), ("Date", "Fri, 24 May 2013 00:00:00 GMT"),
                    ("x-amz-date", Self.s3Date), ("x-amz-storage-class", "REDUCED_REDUNDANCY"), ("x-amz-content-sha256", payload),
                ]),
            payloadHash: payload, amzDate: Self.s3Date, canonical: canonical,
            stringToSign: "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n9e0e90d9c76de8fa5b200d8c849cd5b8dc7a3be3951ddb7f6a76b4158342019d",
            signature: "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd")
    }

    /// S3 "GET Bucket Lifecycle": a query parameter without a value signs as `lifecycle=`.
    @Test func s3GetBucketLifecycle() {
        let headers = [("Host", "examplebucket.s3.amazonaws.com"), ("x-amz-date", Self.s3Date), ("x-amz-content-sha256", Self.emptyHash)]
        check(
            Self.s3, .init(method: "GET", path: "/", query: [("lifecycle", "")], headers: headers),
            payloadHash: Self.emptyHash, amzDate: Self.s3Date,
            canonical: "GET\n/\nlifecycle=\nhost:examplebucket.s3.amazonaws.com\nx-amz-content-sha256:\(Self.emptyHash)\nx-amz-date:20130524T000000Z\n\nhost;x-amz-content-sha256;x-amz-date\n\(Self.emptyHash)",
            stringToSign: "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n9766c798316ff2757b517bc739a67f6213b4ab36dd5da2f94eaebf79c77395ca",
            signature: "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543")
    }

    /// S3 "GET Bucket (List Objects)": `?max-keys=2&prefix=J`.
    @Test func s3ListObjects() {
        let headers = [("Host", "examplebucket.s3.amazonaws.com"), ("x-amz-date", Self.s3Date), ("x-amz-content-sha256", Self.emptyHash)]
        check(
            Self.s3, .init(method: "GET", path: "/", query: [("prefix", "J"), ("max-keys", "2")], headers: headers),
            payloadHash: Self.emptyHash, amzDate: Self.s3Date,
            canonical: "GET\n/\nmax-keys=2&prefix=J\nhost:examplebucket.s3.amazonaws.com\nx-amz-content-sha256:\(Self.emptyHash)\nx-amz-date:20130524T000000Z\n\nhost;x-amz-content-sha256;x-amz-date\n\(Self.emptyHash)",
            stringToSign: "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\ndf57d21db20da04d7fa30298dd4488ba3a2b47ca3a489c74750e0f1e7df1b9b7",
            signature: "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7")
    }

    @Test func encodingAndDates() {
        #expect(SigV4.uriEncode("a b/c+d=e~f_g.h-i%", keepSlash: true) == "a%20b/c%2Bd%3De~f_g.h-i%25")
        #expect(SigV4.uriEncode("2~abc/def", keepSlash: false) == "2~abc%2Fdef")
        #expect(SigV4.amzDate(Date(timeIntervalSince1970: 1_440_938_160)) == Self.suiteDate)
        #expect(SigV4.Credentials(accessKey: "AK", secretKey: "very-secret").description.contains("very-secret") == false)
    }
}

/// The blob store URL and environment, as an operator writes them.
@Suite("S3 configuration")
struct S3ConfigurationTests {
    static let keys = ["WHEELHOUSE_S3_ACCESS_KEY": "AK", "WHEELHOUSE_S3_SECRET_KEY": "SK"]

    @Test func fullURL() throws {
        let c = try S3BlobStore.configuration(
            url: "s3://wheels?endpoint=http://127.0.0.1:7480&region=eu-west-3&path-style=true&prefix=/prod/eu/", environment: Self.keys)
        #expect(c.bucket == "wheels")
        #expect(c.endpoint == "http://127.0.0.1:7480")
        #expect(c.region == "eu-west-3")
        #expect(c.pathStyle)
        #expect(c.prefix == "prod/eu/")
        #expect(c.credentials.accessKey == "AK" && c.credentials.secretKey == "SK")
        #expect(!c.description.contains("SK"))
    }

    @Test func awsDefaults() throws {
        let c = try S3BlobStore.configuration(
            url: "s3://wheels/mirror",
            environment: ["AWS_ACCESS_KEY_ID": "AK2", "AWS_SECRET_ACCESS_KEY": "SK2", "AWS_SESSION_TOKEN": "T", "AWS_REGION": "ap-south-1"])
        #expect(c.endpoint == "https://s3.ap-south-1.amazonaws.com")
        #expect(!c.pathStyle)
        #expect(c.prefix == "mirror/")
        #expect(c.credentials.accessKey == "AK2" && c.credentials.sessionToken == "T")
    }

    @Test func ownVariablesWinOverAWSOnes() throws {
        var environment = Self.keys
        environment["AWS_ACCESS_KEY_ID"] = "other"
        environment["AWS_SECRET_ACCESS_KEY"] = "other"
        let c = try S3BlobStore.configuration(url: "s3://wheels?endpoint=https://minio.internal", environment: environment)
        #expect(c.credentials.accessKey == "AK")
        #expect(c.pathStyle, "a custom endpoint defaults to path style")
    }

    @Test(arguments: [
        "http://wheels", "s3://", "s3://Wheels!", "s3://wheels?pathstyle=true", "s3://wheels?endpoint=ftp://x",
        "s3://wheels?path-style=maybe", "s3://key:secret@wheels", "s3://wheels/a?prefix=b",
    ])
    func rejectsMalformedURLs(url: String) {
        #expect(throws: WheelhouseError.self) { try S3BlobStore.configuration(url: url, environment: Self.keys) }
    }

    /// Both addressing styles, checked on the request actually built (no engine here does virtual-host style).
    @Test func addressingStyles() async throws {
        let key = BlobKey(sha256: String(repeating: "ab", count: 32))!
        let cases: [(url: String, expectedURL: String, host: String)] = [
            ("s3://wheels?region=eu-west-3&prefix=prod", "https://wheels.s3.eu-west-3.amazonaws.com/prod/\(key.path)", "wheels.s3.eu-west-3.amazonaws.com"),
            ("s3://wheels?endpoint=http://127.0.0.1:7480", "http://127.0.0.1:7480/wheels/\(key.path)", "127.0.0.1:7480"),
            ("s3://wheels?endpoint=https://minio.internal:443&path-style=false", "https://wheels.minio.internal/\(key.path)", "wheels.minio.internal"),
        ]
        // The client must be shut down on every path: AsyncHTTPClient traps on a client dropped while running.
        let client = S3BlobStore.makeClient()
        do {
            for c in cases {
                let store = try S3BlobStore(configuration: S3BlobStore.configuration(url: c.url, environment: Self.keys), client: client)
                let request = store.request(.init(method: .GET, object: store.objectKey(key)), body: nil)
                #expect(request.url == c.expectedURL)
                #expect(request.headers.first(name: "host") == c.host)
                #expect(request.headers.first(name: "authorization")?.contains("SignedHeaders=host;x-amz-content-sha256;x-amz-date") == true)
            }
        } catch {
            try await client.shutdown()
            throw error
        }
        try await client.shutdown()
    }

    @Test func missingCredentialsNameTheVariables() {
        do {
            _ = try S3BlobStore.configuration(url: "s3://wheels", environment: ["WHEELHOUSE_S3_ACCESS_KEY": "AK"])
            Issue.record("expected an error")
        } catch let error as WheelhouseError {
            #expect(error.message.contains("WHEELHOUSE_S3_SECRET_KEY"))
        } catch {
            Issue.record("unexpected \(error)")
        }
    }
}
