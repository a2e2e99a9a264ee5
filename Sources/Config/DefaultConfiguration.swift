import Foundation

/// The file `portcullis init` writes: loopback ports, so a first run touches nothing outside the machine.
public enum DefaultConfiguration {
    /// The embedded directory, next to the configuration.
    public static let sqliteURL = "sqlite:directory.sqlite"

    public static func text(hostname: String, directoryURL: String = DefaultConfiguration.sqliteURL) -> String {
        """
        # Portcullis configuration. Reference: README.md, "Configuration".
        hostname = "\(hostname)"

        [tls]
        certificate = "tls/cert.pem"
        private_key = "tls/key.pem"

        [directory]
        url = "\(tomlEscaped(directoryURL))"

        [smtp]                      # the port-25 service
        listen = ["127.0.0.1:2525"]

        [submission]
        listen = ["127.0.0.1:2587"]              # STARTTLS, then AUTH
        implicit_tls_listen = ["127.0.0.1:2465"] # RFC 8314 implicit TLS
        max_message_size = 26214400
        max_recipients = 100

        [limits]
        max_connections = 20000
        max_connections_per_client = 50
        max_errors = 10
        command_timeout = 300
        data_timeout = 600
        auth_failure_delay_ms = 1000
        # trusted_proxies = ["10.0.0.0/24"]      # load balancers whose PROXY header is believed
        #                                        # (on listeners with proxy_protocol = true)

        [abuse]                     # rate limits, failed-login defence, compromised-account hold
        messages_per_hour = 100
        recipients_per_day = 1000
        connections_per_minute = 300
        auth_failure_limit = 10
        auth_failure_window = 600
        auth_lockout = 900
        burst_window = 600
        burst_min_recipients = 200
        burst_factor = 10
        burst_baseline_hours = 24
        postmaster = "postmaster@\(hostname)"

        [delivery]
        nameservers = []
        smtp_port = 25
        routes = { }

        [spool]
        min_free_space = 104857600  # octets free on the spool's file system; below: MAIL gets 452 4.3.1

        # The ISP's subscriber lines. Clients here may relay through the port-25 service.
        # [[access_networks]]
        # name = "alato-express"
        # prefixes = ["203.0.113.0/24", "2001:db8:100::/40"]
        # op25b = true

        [op25b]
        mail_hosts = []
        # collect = true            # flag probably infected lines from the blocked-attempt counters (nftables)

        [pop3]                      # customers fetch their mail
        listen = ["127.0.0.1:2110"]              # STLS, then USER/PASS or AUTH PLAIN
        implicit_tls_listen = ["127.0.0.1:2995"] # RFC 8314 implicit TLS
        idle_timeout = 600

        [web]
        listen = ["127.0.0.1:8080"]

        # [metrics]                 # Prometheus: GET /metrics, /healthz, /readyz (off while unset)
        # listen = ["127.0.0.1:9587"]

        [client_settings]           # what customers are told; hosts default to [web] public_host, else hostname
        submission_port = 587                    # STARTTLS
        submissions_port = 465                   # implicit TLS
        pop3_port = 110                          # STLS
        pop3s_port = 995                         # implicit TLS
        # imap_host = "imap.\(hostname)"        # an IMAP server run elsewhere (e.g. Dovecot); unset: no IMAP

        """
    }

    /// A TOML basic string's content: backslash and quote escaped (TOML 1.0, "String").
    static func tomlEscaped(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
    }
}
