import Foundation

/// One target's run: the evolving corpus, the outcomes seen, the counts.
struct Campaign {
    /// Inputs kept beyond this many replace a random one.
    static let maximumCorpusSize = 2_048

    let target: FuzzTarget
    private(set) var corpus: [[UInt8]]
    private var mutator: Mutator
    private(set) var executions = 0
    private(set) var outcomes: [String: Int] = [:]
    private(set) var violations: [String] = []
    private var elapsed: Duration = .zero

    init(target: FuzzTarget, seeds: [[UInt8]], seed: UInt64) {
        self.target = target
        self.corpus = seeds
        self.mutator = Mutator(random: SplitMix64(seed: seed))
    }

    mutating func run(seconds: Double, runs: Int) {
        let clock = ContinuousClock()
        let start = clock.now
        let deadline = start.advanced(by: .milliseconds(Int64(seconds * 1000)))
        // The seeds first, unmutated: the crash inputs among them must not crash either.
        for seed in corpus {
            execute(seed)
        }
        while executions < runs, executions % 64 != 0 || clock.now < deadline {
            let base = corpus.randomElement(using: &mutator.random)!
            let other = corpus.randomElement(using: &mutator.random)!
            let input = mutator.mutate(base, other: other)
            if execute(input) {
                if corpus.count < Self.maximumCorpusSize {
                    corpus.append(input)
                } else {
                    corpus[Int.random(in: 0..<corpus.count, using: &mutator.random)] = input
                }
            }
        }
        elapsed = start.duration(to: clock.now)
    }

    /// Runs one input; returns whether its outcome is new.
    @discardableResult
    private mutating func execute(_ input: [UInt8]) -> Bool {
        CrashRecorder.record(input)
        executions += 1
        let key: String
        switch target.run(input, &mutator.random) {
        case .accepted(let what):
            key = "ok: " + Self.blanked(what)
        case .rejected(let message):
            key = Self.blanked(message)
        case .violation(let message):
            key = "violation: " + Self.blanked(message)
            violations.append(message)
        }
        outcomes[key, default: 0] += 1
        return outcomes[key] == 1
    }

    /// A message with its numbers, quoted text and paths blanked, so that outcomes count code
    /// paths rather than values (mutated names would make every message new).
    static func blanked(_ message: String) -> String {
        var text = Substring(message.prefix(300))
        // Lists of the names an archive holds (".dist-info directories: …", "(found: …)").
        for marker in ["(found:", "directories:"] {
            if let range = text.range(of: marker) {
                text = text[..<range.upperBound] + " …"
            }
        }
        if let first = text.firstIndex(of: "'"), let last = text.lastIndex(of: "'"), first < last {
            text = text[..<first] + "'…'" + text[text.index(after: last)...]
        }
        let words = text.split(separator: " ", omittingEmptySubsequences: false).map { word in
            word.contains("/") || word.contains(".dist-info") ? "…" : word
        }
        var result = ""
        var previousDigit = false
        for character in words.joined(separator: " ") {
            if character.isNewline {
                result.append(" ")
            } else if character.isNumber {
                if !previousDigit {
                    result.append("#")
                }
                previousDigit = true
            } else {
                previousDigit = false
                result.append(character)
            }
        }
        return result
    }

    /// The outcomes seen, most frequent first.
    var outcomeReport: [String] {
        outcomes.sorted { $0.value > $1.value }.map { "  \($0.value)\t\($0.key)" }
    }

    /// Crashes are always 0 here: a crash ends the process before the summary.
    var summary: String {
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let rate = seconds > 0 ? Int(Double(executions) / seconds) : 0
        return "\(target.name): \(executions) executions in \(String(format: "%.1f", seconds)) s (\(rate)/s), "
            + "\(outcomes.count) distinct outcomes, corpus \(corpus.count), crashes 0, contract violations \(violations.count)"
    }
}
