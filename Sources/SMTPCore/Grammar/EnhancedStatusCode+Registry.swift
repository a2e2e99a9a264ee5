// Enhanced status codes by name (RFC 3463 §3 and the IANA registry of RFC 5248). Each is
// written with the class it is used with; `transient` and `permanent` give the other one.

extension EnhancedStatusCode {
    /// X.0.0 other undefined status (RFC 3463 §3.1).
    public static let otherTransient = EnhancedStatusCode(4, 0, 0)
    /// X.0.0 other undefined status (RFC 3463 §3.1), permanent.
    public static let otherPermanent = EnhancedStatusCode(5, 0, 0)
    /// 2.0.0 success, nothing more specific to say (RFC 3463 §3.1).
    public static let success = EnhancedStatusCode(2, 0, 0)
    /// X.1.0 other address status: the sender address is accepted (RFC 3463 §3.2).
    public static let otherAddressStatus = EnhancedStatusCode(2, 1, 0)
    /// X.1.1 bad destination mailbox address (RFC 3463 §3.2).
    public static let badDestinationMailbox = EnhancedStatusCode(5, 1, 1)
    /// X.1.2 bad destination system address: the domain does not exist (RFC 3463 §3.2).
    public static let badDestinationSystem = EnhancedStatusCode(5, 1, 2)
    /// X.1.3 bad destination mailbox address syntax (RFC 3463 §3.2).
    public static let badDestinationSyntax = EnhancedStatusCode(5, 1, 3)
    /// X.1.5 destination address valid (RFC 3463 §3.2).
    public static let destinationAddressValid = EnhancedStatusCode(2, 1, 5)
    /// X.1.7 bad sender's mailbox address syntax (RFC 3463 §3.2).
    public static let badSenderSyntax = EnhancedStatusCode(5, 1, 7)
    /// X.1.10 recipient address has null MX (RFC 7505 §4.2).
    public static let nullMX = EnhancedStatusCode(5, 1, 10)
    /// X.3.0 other or undefined mail system status (RFC 3463 §3.4).
    public static let mailSystemTransient = EnhancedStatusCode(4, 3, 0)
    /// X.3.1 mail system full (RFC 3463 §3.4).
    public static let mailSystemFull = EnhancedStatusCode(4, 3, 1)
    /// X.3.2 system not accepting network messages (RFC 3463 §3.4).
    public static let systemNotAcceptingMessages = EnhancedStatusCode(4, 3, 2)
    /// X.3.4 message too big for system (RFC 3463 §3.4).
    public static let messageTooBigForSystem = EnhancedStatusCode(5, 3, 4)
    /// X.3.5 system incorrectly configured (RFC 3463 §3.4).
    public static let systemIncorrectlyConfigured = EnhancedStatusCode(4, 3, 5)
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
    /// X.5.0 other or undefined protocol status: a protocol step succeeded (RFC 3463 §3.6).
    public static let protocolSuccess = EnhancedStatusCode(2, 5, 0)
    /// X.5.0 other or undefined protocol status (RFC 3463 §3.6), permanent.
    public static let protocolPermanent = EnhancedStatusCode(5, 5, 0)
    /// X.5.1 invalid command (RFC 3463 §3.6).
    public static let invalidCommand = EnhancedStatusCode(5, 5, 1)
    /// X.5.2 syntax error (RFC 3463 §3.6).
    public static let syntaxError = EnhancedStatusCode(5, 5, 2)
    /// X.5.3 too many recipients (RFC 3463 §3.6).
    public static let tooManyRecipients = EnhancedStatusCode(4, 5, 3)
    /// X.5.4 invalid command arguments (RFC 3463 §3.6).
    public static let invalidCommandArguments = EnhancedStatusCode(5, 5, 4)
    /// X.6.0 other or undefined media error (RFC 3463 §3.7).
    public static let otherMediaError = EnhancedStatusCode(5, 6, 0)
    /// X.6.3 conversion required but not supported (RFC 3463 §3.7).
    public static let conversionNotSupported = EnhancedStatusCode(5, 6, 3)
    /// X.6.7 non-ASCII addresses not permitted for that sender/recipient (RFC 6531 §3.7.4.1).
    public static let nonASCIIAddressNotPermitted = EnhancedStatusCode(5, 6, 7)
    /// X.7.0 other or undefined security status: a failed TLS handshake (RFC 3463 §3.8).
    public static let securityTransient = EnhancedStatusCode(4, 7, 0)
    /// X.7.0 other or undefined security status: authentication succeeded (RFC 3463 §3.8).
    public static let securitySuccess = EnhancedStatusCode(2, 7, 0)
    /// X.7.0 other or undefined security status (RFC 3463 §3.8), permanent.
    public static let securityPermanent = EnhancedStatusCode(5, 7, 0)
    /// X.7.1 delivery not authorized, message refused (RFC 3463 §3.8).
    public static let deliveryNotAuthorized = EnhancedStatusCode(5, 7, 1)
    /// X.7.8 authentication credentials invalid (RFC 4954 §6; RFC 5248 registry).
    public static let authenticationCredentialsInvalid = EnhancedStatusCode(5, 7, 8)
    /// X.7.11 encryption required for requested authentication mechanism (RFC 4954 §6;
    /// RFC 5248 registry).
    public static let encryptionRequiredForAuth = EnhancedStatusCode(5, 7, 11)

    /// The same subject and detail as a transient (4.X.X) code.
    public var transient: EnhancedStatusCode { EnhancedStatusCode(4, subject, detail) }
    /// The same subject and detail as a permanent (5.X.X) code.
    public var permanent: EnhancedStatusCode { EnhancedStatusCode(5, subject, detail) }
}
