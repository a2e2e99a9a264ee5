extension Configuration {
    /// `[process]`: how the server process runs.
    public struct ProcessSettings: Sendable, Equatable {
        /// Started as root, `serve` binds every listener and then runs as this user and its
        /// group. Nil: keep the identity it was started with.
        public var user: String?

        public init() {}
    }
}

extension Reader {
    func processSettings() throws -> Configuration.ProcessSettings {
        var settings = Configuration.ProcessSettings()
        if let user = try string("user") {
            guard !user.isEmpty, !user.contains(":"), !user.contains("/") else {
                throw KeyProblem(key: key("user"), message: "\"\(user)\" is not a user name")
            }
            settings.user = user
        }
        return settings
    }
}
