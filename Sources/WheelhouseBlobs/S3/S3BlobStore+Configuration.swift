import Foundation
import WheelhouseCore

extension S3BlobStore {
    /// Where the blobs live and how to reach them; built once at the edge (`configuration(url:environment:)`).
    public struct Configuration: Sendable, CustomStringConvertible {
        public var bucket: String
        /// `scheme://host[:port]` of the S3 API, without the bucket.
        public var endpoint: String
        public var region: String
        /// `http://endpoint/bucket/key` instead of `http://bucket.endpoint/key`. Self-hosted engines
        /// (Ceph's RADOS Gateway, MinIO, Garage, SeaweedFS) answer path style without wildcard DNS.
        public var pathStyle: Bool
        /// Prepended to every key, normalized to `""` or `something/`, so one bucket can hold several deployments.
        public var prefix: String
        public var credentials: SigV4.Credentials
        /// Files at or above this size go up as a multipart upload.
        public var multipartThreshold: Int64
        /// Size of each multipart part, and so the memory one upload holds (S3's minimum is 5 MiB).
        public var partSize: Int64

        public init(
            bucket: String, endpoint: String? = nil, region: String = "us-east-1", pathStyle: Bool? = nil, prefix: String = "",
            credentials: SigV4.Credentials, multipartThreshold: Int64 = 64 << 20, partSize: Int64 = 16 << 20
        ) {
            self.bucket = bucket
            self.endpoint = endpoint ?? "https://s3.\(region).amazonaws.com"
            self.region = region
            // AWS wants virtual-host style; any other endpoint most likely serves path style only.
            self.pathStyle = pathStyle ?? (endpoint != nil)
            let trimmed = prefix.split(separator: "/", omittingEmptySubsequences: true).joined(separator: "/")
            self.prefix = trimmed.isEmpty ? "" : trimmed + "/"
            self.credentials = credentials
            self.multipartThreshold = multipartThreshold
            self.partSize = max(partSize, 5 << 20)
        }

        public var description: String {
            "s3://\(bucket)/\(prefix) at \(endpoint) (region \(region), \(pathStyle ? "path" : "virtual-host") style, \(credentials))"
        }
    }

    /// Builds the configuration from a blob store URL and the process environment.
    ///
    /// `s3://BUCKET[/PREFIX]?endpoint=http://127.0.0.1:7480&region=us-east-1&path-style=true&prefix=PREFIX`;
    /// every parameter is optional. Credentials come from `WHEELHOUSE_S3_ACCESS_KEY` and
    /// `WHEELHOUSE_S3_SECRET_KEY` (plus `WHEELHOUSE_S3_SESSION_TOKEN`), or else the AWS tools' own
    /// `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and `AWS_SESSION_TOKEN`; never from the URL, which gets logged.
    public static func configuration(url: String, environment: [String: String]) throws -> Configuration {
        let components = URLComponents(string: url)
        func invalid(_ why: String) -> WheelhouseError {
            // A URL with user info may carry a secret: then it is not repeated.
            let shown = components?.user == nil && components?.password == nil && !url.contains("@") ? " '\(url)'" : ""
            return WheelhouseError(.internalError, "invalid S3 blob store URL\(shown): \(why)")
        }
        guard let components, components.scheme?.lowercased() == "s3" else {
            throw invalid("expected s3://BUCKET?endpoint=…&region=…")
        }
        guard components.user == nil, components.password == nil else {
            throw invalid("credentials belong in WHEELHOUSE_S3_ACCESS_KEY/WHEELHOUSE_S3_SECRET_KEY, not in the URL")
        }
        guard let bucket = components.host, !bucket.isEmpty,
            bucket.utf8.allSatisfy({ $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "_")
                || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) })
        else {
            throw invalid("missing or malformed bucket name")
        }

        var parameters: [String: String] = [:]
        for item in components.queryItems ?? [] {
            guard ["endpoint", "region", "path-style", "prefix"].contains(item.name) else {
                throw invalid("unknown parameter '\(item.name)' (known: endpoint, region, path-style, prefix)")
            }
            parameters[item.name] = item.value ?? ""
        }
        if !components.path.isEmpty, components.path != "/", parameters["prefix"] != nil {
            throw invalid("give the prefix either as the URL's path or as ?prefix=, not both")
        }
        let prefix = parameters["prefix"] ?? components.path

        if let endpoint = parameters["endpoint"] {
            guard let e = URLComponents(string: endpoint), ["http", "https"].contains(e.scheme?.lowercased() ?? ""),
                let host = e.host, !host.isEmpty, e.path.isEmpty || e.path == "/", e.query == nil, e.user == nil
            else {
                throw invalid("endpoint must look like http(s)://host[:port]")
            }
        }
        var pathStyle: Bool? = nil
        if let value = parameters["path-style"] {
            switch value.lowercased() {
            case "true", "1", "yes", "": pathStyle = true
            case "false", "0", "no": pathStyle = false
            default: throw invalid("path-style must be true or false")
            }
        }
        let region = parameters["region"] ?? environment["AWS_REGION"] ?? environment["AWS_DEFAULT_REGION"] ?? "us-east-1"
        guard !region.isEmpty, !region.contains("/") else { throw invalid("malformed region") }

        return Configuration(
            bucket: bucket, endpoint: parameters["endpoint"].map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 },
            region: region, pathStyle: pathStyle, prefix: prefix, credentials: try credentials(environment: environment))
    }

    /// Takes the Wheelhouse pair if either half is set, so a stray AWS variable never completes a half-set pair.
    static func credentials(environment: [String: String]) throws -> SigV4.Credentials {
        let own = (environment["WHEELHOUSE_S3_ACCESS_KEY"], environment["WHEELHOUSE_S3_SECRET_KEY"])
        let aws = (environment["AWS_ACCESS_KEY_ID"], environment["AWS_SECRET_ACCESS_KEY"])
        let useOwn = own.0 != nil || own.1 != nil
        let (access, secret) = useOwn ? own : aws
        guard let access, !access.isEmpty, let secret, !secret.isEmpty else {
            let names = useOwn ? "WHEELHOUSE_S3_ACCESS_KEY and WHEELHOUSE_S3_SECRET_KEY" : "WHEELHOUSE_S3_ACCESS_KEY/WHEELHOUSE_S3_SECRET_KEY (or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY)"
            throw WheelhouseError(.internalError, "S3 credentials missing: set \(names)")
        }
        let token = useOwn ? environment["WHEELHOUSE_S3_SESSION_TOKEN"] : environment["AWS_SESSION_TOKEN"]
        return SigV4.Credentials(accessKey: access, secretKey: secret, sessionToken: token.flatMap { $0.isEmpty ? nil : $0 })
    }
}
