import Testing
@testable import WheelhouseCore

@Suite struct ByteRangeTests {
    @Test(arguments: [
        (nil, Int64(100), ByteRange.full),
        ("bytes=0-9", 100, .partial(0..<10)),
        ("bytes=90-", 100, .partial(90..<100)),
        ("bytes=-10", 100, .partial(90..<100)),
        ("bytes=-1000", 100, .partial(0..<100)),
        ("bytes=50-1000", 100, .partial(50..<100)),
        ("bytes=99-99", 100, .partial(99..<100)),
        ("bytes=100-", 100, .unsatisfiable),
        ("bytes=-0", 100, .unsatisfiable),
        ("bytes=0-0", 0, .unsatisfiable),
        ("bytes=10-5", 100, .full),
        ("bytes=0-1,5-6", 100, .full),
        ("items=0-5", 100, .full),
        ("bytes=abc", 100, .full),
        ("bytes= 0 - 4 ", 100, .partial(0..<5)),
    ] as [(String?, Int64, ByteRange)])
    func resolves(header: String?, size: Int64, expected: ByteRange) {
        #expect(ByteRange.resolve(header: header, size: size) == expected)
    }
}
