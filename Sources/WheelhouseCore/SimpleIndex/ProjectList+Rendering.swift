/// Rendering of the root project list (`/{repo}/simple/`).
public enum ProjectListRenderer {
    /// A strong validator of a rendered list (a page per format, so the format is in the bytes).
    public static func validator(_ body: [UInt8]) -> String { ProjectPage.validator(body) }

    public static func html(_ entries: [ProjectListEntry]) -> [UInt8] {
        var w = ByteWriter(capacity: 200 + entries.count * 60)
        w.raw("<!DOCTYPE html>\n<html>\n  <head>\n    <meta name=\"pypi:repository-version\" content=\"")
        w.raw(SimpleAPI.version)
        w.raw("\">\n    <title>Simple index</title>\n  </head>\n  <body>\n")
        for e in entries {
            w.raw("    <a href=\"")
            w.html(e.normalizedName)
            w.raw("/\">")
            w.html(e.name)
            w.raw("</a>\n")
        }
        w.raw("  </body>\n</html>\n")
        return w.bytes
    }

    public static func json(_ entries: [ProjectListEntry]) -> [UInt8] {
        var w = ByteWriter(capacity: 100 + entries.count * 40)
        w.raw("{\"meta\":{\"api-version\":")
        w.json(SimpleAPI.version)
        w.raw("},\"projects\":[")
        for (i, e) in entries.enumerated() {
            if i > 0 { w.raw(",") }
            w.raw("{\"name\":")
            w.json(e.name)
            w.raw("}")
        }
        w.raw("]}")
        return w.bytes
    }
}
