import Foundation

/// `wheelhouse-fuzz`: an in-process mutation fuzzer for the parsers that read what clients and
/// upstreams send (wheels, sdists, zip, core metadata, multipart bodies).
///
/// It starts from a seed corpus (real archives and the crash inputs of issue 12, in
/// `Tests/fuzz-corpus`), mutates inputs for a time budget per target, and keeps an input in the
/// corpus when it ends in an outcome not seen before (error messages with their numbers and
/// quoted names blanked: a rough stand-in for coverage). A trap kills the process: the input that
/// caused it is written to `<work>/crash-<target>.bin` and the exit status is non-zero. An error
/// of a type the parser's contract does not allow is counted as a violation (exit status 1).
///
///     wheelhouse-fuzz [--target wheel|sdist|zip|metadata|multipart|all] [--seconds 30]
///                     [--runs N] [--seed N] [--corpus Tests/fuzz-corpus] [--verbose]
@main
struct WheelhouseFuzz {
    struct Options {
        var targets = "all"
        var seconds = 30.0
        var runs = Int.max
        var seed = UInt64.random(in: 0...UInt64(UInt32.max))
        var corpus = "Tests/fuzz-corpus"
        var verbose = false
    }

    static func main() throws {
        let options = try parse(Array(CommandLine.arguments.dropFirst()))
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("wheelhouse-fuzz-\(getpid())")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)

        let targets = FuzzTarget.all(workDirectory: work).filter { options.targets == "all" || $0.name == options.targets }
        guard !targets.isEmpty else {
            throw UsageError("unknown target '\(options.targets)' (wheel, sdist, zip, metadata, multipart or all)")
        }
        say("seed \(options.seed); crashing inputs are written to \(work.path)/crash-<target>.bin")
        var violations = 0
        for target in targets {
            say("\(target.name): running for \(options.seconds) s")
            let seeds = try loadSeeds(target, corpus: options.corpus)
            CrashRecorder.install(writingTo: work.appendingPathComponent("crash-\(target.name).bin").path)
            var campaign = Campaign(target: target, seeds: seeds, seed: options.seed)
            campaign.run(seconds: options.seconds, runs: options.runs)
            say(campaign.summary)
            if options.verbose {
                campaign.outcomeReport.forEach(say)
            }
            for violation in campaign.violations.prefix(5) {
                say("  violation: \(violation)")
            }
            violations += campaign.violations.count
        }
        // Kept after a crash (the process is gone before this line), removed otherwise.
        try? FileManager.default.removeItem(at: work)
        if violations > 0 {
            exit(1)
        }
    }

    /// Writes a line at once (print's buffer would be lost to a pipe when a trap ends the process).
    static func say(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }

    static func loadSeeds(_ target: FuzzTarget, corpus: String) throws -> [[UInt8]] {
        var seeds: [[UInt8]] = []
        for folder in target.seedFolders {
            let directory = URL(fileURLWithPath: corpus).appendingPathComponent(folder)
            for name in try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted() {
                seeds.append(Array(try Data(contentsOf: directory.appendingPathComponent(name))))
            }
        }
        guard !seeds.isEmpty else {
            throw UsageError("no seeds for \(target.name) in \(corpus)")
        }
        return seeds
    }

    static func parse(_ arguments: [String]) throws -> Options {
        var options = Options()
        var remaining = arguments[...]
        while let argument = remaining.popFirst() {
            if argument == "--verbose" {
                options.verbose = true
                continue
            }
            guard let value = remaining.popFirst() else {
                throw UsageError("\(argument) needs a value")
            }
            switch argument {
            case "--target": options.targets = value
            case "--seconds": options.seconds = try number(Double(value), argument)
            case "--runs": options.runs = try number(Int(value), argument)
            case "--seed": options.seed = try number(UInt64(value), argument)
            case "--corpus": options.corpus = value
            default: throw UsageError("unknown option \(argument)")
            }
        }
        return options
    }

    private static func number<Value>(_ value: Value?, _ option: String) throws -> Value {
        guard let value else { throw UsageError("\(option) needs a number") }
        return value
    }
}

struct UsageError: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) {
        self.description = "wheelhouse-fuzz: \(description)"
    }
}
