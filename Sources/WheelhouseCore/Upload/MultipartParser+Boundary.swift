extension MultipartParser {
    /// The longest boundary accepted.
    ///
    /// RFC 2046 allows 70 characters; we accept more to be forgiving of
    /// hand-rolled clients, but keep a bound because the parser holds back up
    /// to a boundary's length of bytes between chunks.
    public static let maxBoundaryLength = 256

    /// Extracts the boundary from a `Content-Type` header value.
    ///
    /// Accepts `multipart/form-data; boundary=XYZ` and `boundary="XYZ"`, with
    /// any case for the media type and the parameter name, other parameters in
    /// any order, and whitespace around `;` and `=`.
    ///
    /// ```swift
    /// MultipartParser.boundary(fromContentType: "multipart/form-data; boundary=abc")  // "abc"
    /// ```
    ///
    /// - Parameter contentType: The `Content-Type` header value of the request.
    /// - Returns: The boundary, or `nil` if the media type is not
    ///   multipart/form-data, the parameter is missing, or the boundary is
    ///   empty, too long, or contains characters a boundary cannot have.
    public static func boundary(fromContentType contentType: String) -> String? {
        let parsed = HeaderValue(contentType)
        guard parsed.value.lowercased() == "multipart/form-data" else { return nil }
        guard let boundary = parsed.parameter("boundary") else { return nil }
        return self.isValidBoundary(boundary) ? boundary : nil
    }

    /// Whether `boundary` can be searched for safely.
    ///
    /// Besides the length bounds, the boundary must be printable ASCII: the
    /// delimiter search relies on the delimiter's only CR being its first byte.
    static func isValidBoundary(_ boundary: String) -> Bool {
        let bytes = boundary.utf8
        guard !bytes.isEmpty, bytes.count <= self.maxBoundaryLength else { return false }
        return bytes.allSatisfy { $0 >= 0x20 && $0 < 0x7F }
    }
}
