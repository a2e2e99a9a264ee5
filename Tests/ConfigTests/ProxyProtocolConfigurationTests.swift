import Config
import Policy
import Testing

/// `proxy_protocol` in `[smtp]`, `[submission]`, `[pop3]`, `[web]` and `[limits] trusted_proxies`.
@Suite struct ProxyProtocolConfigurationTests {
    @Test func offByDefault() throws {
        let configuration = try Configuration.parse("hostname = \"mail.alato.example\"", file: "t", dataDirectory: "/d")
        #expect(!configuration.smtp.proxyProtocol)
        #expect(!configuration.submission.proxyProtocol)
        #expect(!configuration.pop3.proxyProtocol)
        #expect(!configuration.web.proxyProtocol)
        #expect(configuration.limits.trustedProxies.isEmpty)
    }

    @Test func valuesAreRead() throws {
        let text = """
            [smtp]
            proxy_protocol = true
            [submission]
            proxy_protocol = true
            [pop3]
            proxy_protocol = true
            [web]
            proxy_protocol = true
            [limits]
            trusted_proxies = ["10.0.0.0/24", "2001:db8:ffff::/48", "192.0.2.10"]
            """
        let configuration = try Configuration.parse(text, file: "t", dataDirectory: "/d")
        #expect(configuration.smtp.proxyProtocol && configuration.submission.proxyProtocol)
        #expect(configuration.pop3.proxyProtocol && configuration.web.proxyProtocol)
        #expect(configuration.limits.trustedProxies == [
            try IPPrefix("10.0.0.0/24"), try IPPrefix("2001:db8:ffff::/48"), try IPPrefix("192.0.2.10/32"),
        ])
    }

    @Test("proxy_protocol without trusted_proxies names both keys", arguments: ["smtp", "submission", "pop3", "web"])
    func needsTrustedProxies(table: String) {
        #expect {
            try Configuration.parse("[\(table)]\nproxy_protocol = true", file: "t", dataDirectory: "/d")
        } throws: { error in
            guard let error = error as? ConfigurationError else { return false }
            return error.key == "\(table).proxy_protocol" && error.message.contains("limits.trusted_proxies")
        }
    }

    @Test("bad values name their key", arguments: [
        ("[limits]\ntrusted_proxies = [\"10.0.0.1/24\"]", "limits.trusted_proxies[0]", "host bits set, did you mean 10.0.0.0/24"),
        ("[limits]\ntrusted_proxies = [\"10.0.0.0/24\", \"lb.alato.example\"]", "limits.trusted_proxies[1]", "not an IPv4 or IPv6 address"),
        ("[limits]\ntrusted_proxies = \"10.0.0.0/24\"", "limits.trusted_proxies", "array"),
        ("[smtp]\nproxy_protocol = \"yes\"", "smtp.proxy_protocol", "true or false"),
    ])
    func badValues(text: String, key: String, message: String) {
        #expect {
            try Configuration.parse(text, file: "t", dataDirectory: "/d")
        } throws: { error in
            guard let error = error as? ConfigurationError else { return false }
            return error.key == key && error.message.contains(message)
        }
    }
}
