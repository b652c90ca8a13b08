/// Who is making a request, once authenticated.
public struct Principal: Sendable, Equatable {
    public var userID: Int64
    public var userName: String
    public var isAdmin: Bool

    public init(userID: Int64, userName: String, isAdmin: Bool) {
        self.userID = userID
        self.userName = userName
        self.isAdmin = isAdmin
    }
}
