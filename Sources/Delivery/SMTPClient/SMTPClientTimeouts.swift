/// How long the client waits for each reply (RFC 5321 §4.5.3.2).
public struct SMTPClientTimeouts: Sendable, Hashable {
    /// TCP connect.
    public var connect: Duration
    /// The 220 greeting: 5 minutes (§4.5.3.2.1).
    public var greeting: Duration
    /// EHLO, HELO, STARTTLS, RSET, QUIT and other short commands: 5 minutes, as for MAIL.
    public var command: Duration
    /// MAIL FROM: 5 minutes (§4.5.3.2.2).
    public var mail: Duration
    /// RCPT TO: 5 minutes (§4.5.3.2.3).
    public var recipient: Duration
    /// DATA initiation, waiting for 354: 2 minutes (§4.5.3.2.4).
    public var dataInitiation: Duration
    /// Each block of data sent: 3 minutes (§4.5.3.2.5).
    public var dataBlock: Duration
    /// The reply after the final ".": 10 minutes (§4.5.3.2.6).
    public var dataTermination: Duration

    /// The RFC 5321 values, with a 30 s connect timeout.
    public static let rfc5321 = SMTPClientTimeouts(
        connect: .seconds(30), greeting: .seconds(300), command: .seconds(300), mail: .seconds(300),
        recipient: .seconds(300), dataInitiation: .seconds(120), dataBlock: .seconds(180),
        dataTermination: .seconds(600))

    /// Creates timeouts.
    public init(connect: Duration, greeting: Duration, command: Duration, mail: Duration, recipient: Duration,
                dataInitiation: Duration, dataBlock: Duration, dataTermination: Duration) {
        self.connect = connect
        self.greeting = greeting
        self.command = command
        self.mail = mail
        self.recipient = recipient
        self.dataInitiation = dataInitiation
        self.dataBlock = dataBlock
        self.dataTermination = dataTermination
    }

    /// Every timeout set to `duration` (tests).
    public static func uniform(_ duration: Duration) -> SMTPClientTimeouts {
        SMTPClientTimeouts(connect: duration, greeting: duration, command: duration, mail: duration,
                           recipient: duration, dataInitiation: duration, dataBlock: duration, dataTermination: duration)
    }
}
