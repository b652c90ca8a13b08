#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Keeps a copy of the input being run so that a trap (SIGILL, SIGTRAP, SIGSEGV, SIGABRT, …)
/// writes it to a file before the process dies: the crash can then be replayed and turned into
/// a test. The handler only calls async-signal-safe functions on memory allocated up front.
enum CrashRecorder {
    private nonisolated(unsafe) static var buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: Mutator.maximumInputSize)
    private nonisolated(unsafe) static var length = 0
    private nonisolated(unsafe) static var path = UnsafeMutablePointer<CChar>.allocate(capacity: 4096)

    /// Installs the handlers; a crashing input is written to `file`.
    static func install(writingTo file: String) {
        let bytes = Array(file.utf8CString.prefix(4095)) + [0]
        for (index, byte) in bytes.enumerated() {
            path[index] = byte
        }
        for number in [SIGILL, SIGTRAP, SIGSEGV, SIGBUS, SIGABRT, SIGFPE] {
            _ = signal(number) { number in
                let descriptor = open(CrashRecorder.path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
                if descriptor >= 0 {
                    _ = write(descriptor, CrashRecorder.buffer, CrashRecorder.length)
                    close(descriptor)
                }
                signal(number, SIG_DFL)
                raise(number)
            }
        }
    }

    /// Remembers `input` as the one about to run.
    static func record(_ input: [UInt8]) {
        let count = min(input.count, Mutator.maximumInputSize)
        input.withUnsafeBufferPointer { source in
            if let base = source.baseAddress {
                buffer.update(from: base, count: count)
            }
        }
        length = count
    }
}
