// Enhanced status codes by name (RFC 3463 §3 and the IANA registry of RFC 5248). Each is
// written with the class it is used with; `transient` and `permanent` give the other one.

extension EnhancedStatusCode {
    /// X.0.0 other undefined status (RFC 3463 §3.1).
    public static let otherTransient = EnhancedStatusCode(4, 0, 0)
    /// X.0.0 other undefined status (RFC 3463 §3.1), permanent.
    public static let otherPermanent = EnhancedStatusCode(5, 0, 0)
    /// 2.0.0 success, nothing more specific to say (RFC 3463 §3.1).
    public static let success = EnhancedStatusCode(2, 0, 0)
    /// X.1.1 bad destination mailbox address (RFC 3463 §3.2).
    public static let badDestinationMailbox = EnhancedStatusCode(5, 1, 1)
    /// X.1.2 bad destination system address: the domain does not exist (RFC 3463 §3.2).
    public static let badDestinationSystem = EnhancedStatusCode(5, 1, 2)
    /// X.1.3 bad destination mailbox address syntax (RFC 3463 §3.2).
    public static let badDestinationSyntax = EnhancedStatusCode(5, 1, 3)
    /// X.1.10 recipient address has null MX (RFC 7505 §4.2).
    public static let nullMX = EnhancedStatusCode(5, 1, 10)
    /// X.3.0 other or undefined mail system status (RFC 3463 §3.4).
    public static let mailSystemTransient = EnhancedStatusCode(4, 3, 0)
    /// X.3.1 mail system full (RFC 3463 §3.4).
    public static let mailSystemFull = EnhancedStatusCode(4, 3, 1)
    /// X.3.4 message too big for system (RFC 3463 §3.4).
    public static let messageTooBigForSystem = EnhancedStatusCode(5, 3, 4)
    /// X.4.1 no answer from host (RFC 3463 §3.5).
    public static let noAnswerFromHost = EnhancedStatusCode(4, 4, 1)
    /// X.4.2 bad connection (RFC 3463 §3.5).
    public static let badConnection = EnhancedStatusCode(4, 4, 2)
    /// X.4.3 directory server failure: DNS trouble (RFC 3463 §3.5).
    public static let directoryServerFailure = EnhancedStatusCode(4, 4, 3)
    /// X.4.4 unable to route (RFC 3463 §3.5).
    public static let unableToRoute = EnhancedStatusCode(4, 4, 4)
    /// X.4.6 routing loop detected (RFC 3463 §3.5).
    public static let routingLoop = EnhancedStatusCode(5, 4, 6)
    /// X.4.7 delivery time expired (RFC 3463 §3.5).
    public static let deliveryTimeExpired = EnhancedStatusCode(4, 4, 7)
    /// X.6.3 conversion required but not supported (RFC 3463 §3.7).
    public static let conversionNotSupported = EnhancedStatusCode(5, 6, 3)
    /// X.6.7 non-ASCII addresses not permitted for that sender/recipient (RFC 6531 §3.7.4.1).
    public static let nonASCIIAddressNotPermitted = EnhancedStatusCode(5, 6, 7)
    /// X.7.0 other or undefined security status: a failed TLS handshake (RFC 3463 §3.8).
    public static let securityTransient = EnhancedStatusCode(4, 7, 0)

    /// The same subject and detail as a transient (4.X.X) code.
    public var transient: EnhancedStatusCode { EnhancedStatusCode(4, subject, detail) }
    /// The same subject and detail as a permanent (5.X.X) code.
    public var permanent: EnhancedStatusCode { EnhancedStatusCode(5, subject, detail) }
}
