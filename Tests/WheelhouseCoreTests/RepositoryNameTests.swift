import Testing
@testable import WheelhouseCore

@Suite struct RepositoryNameTests {
    @Test(arguments: ["pypi-local", "a", "team.internal_1", "0day"])
    func valid(name: String) throws {
        try RepositoryName.validate(name)
    }

    @Test(arguments: ["", "-x", ".x", "Upper", "has space", "a/b", "api", "health", "artifactory", "repository", "metrics", String(repeating: "a", count: 65)])
    func invalid(name: String) {
        #expect(throws: WheelhouseError.self) { try RepositoryName.validate(name) }
    }
}
