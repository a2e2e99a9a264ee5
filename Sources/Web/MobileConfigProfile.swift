import Foundation

/// An Apple configuration profile (`.mobileconfig`) with one
/// `com.apple.mail.managed` payload: the mail account for one address hosted
/// here, for iPhone, iPad and macOS Mail.
///
/// Unsigned (the device says "Not Verified"; signing needs a certificate the
/// operator holds). Served as `application/x-apple-aspen-config`. The account
/// reads mail over POP3 with SSL (port 995, implicit TLS) and sends through
/// the submission port with SSL (STARTTLS on 587); both authenticate with a
/// password and the full address as user name; never port 25. One account
/// per profile, so an IMAP server named in `[client_settings]` is left to the
/// guides: a second account would show every message twice.
public struct MobileConfigProfile: Sendable {
    /// The media type iOS and macOS install profiles from.
    public static let contentType = "application/x-apple-aspen-config"

    public let address: String
    public let settings: MailSettings
    /// The organisation shown on the device (the host name customers are told).
    public let organization: String
    /// Stable per address, so installing again replaces the profile instead of adding one.
    public let identifier: String

    public init(address: String, settings: MailSettings, organization: String) {
        self.address = address
        self.settings = settings
        self.organization = organization
        let reversed = organization.split(separator: ".").reversed().joined(separator: ".")
        let safeAddress = String(address.unicodeScalars.map { scalar -> Character in
            scalar.isASCII && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || scalar == "-") ? Character(scalar) : "-"
        })
        self.identifier = "\(reversed).mail.\(safeAddress)"
    }

    /// A file name for Content-Disposition: ASCII only.
    public var fileName: String {
        let domain = address.split(separator: "@").last.map(String.init) ?? "mail"
        return "\(domain).mobileconfig"
    }

    /// The profile as a property list.
    var propertyList: PropertyList {
        let incoming = settings.primaryIncoming.endpoint
        let mail: PropertyList = .dictionary([
            ("EmailAccountDescription", .string(address)),
            ("EmailAccountType", .string("EmailTypePOP")),
            ("EmailAddress", .string(address)),
            ("IncomingMailServerAuthentication", .string("EmailAuthPassword")),
            ("IncomingMailServerHostName", .string(incoming.host)),
            ("IncomingMailServerPortNumber", .integer(incoming.port)),
            // Port 995: TLS from the first byte (RFC 8314 §3.3).
            ("IncomingMailServerUseSSL", .bool(incoming.security == .tls)),
            ("IncomingMailServerUsername", .string(address)),
            ("OutgoingMailServerAuthentication", .string("EmailAuthPassword")),
            ("OutgoingMailServerHostName", .string(settings.submission.host)),
            ("OutgoingMailServerPortNumber", .integer(settings.submission.port)),
            ("OutgoingMailServerUseSSL", .bool(true)),
            ("OutgoingMailServerUsername", .string(address)),
            ("OutgoingPasswordSameAsIncomingPassword", .bool(true)),
            ("PayloadDescription", .string("Mail account \(address)")),
            ("PayloadDisplayName", .string(address)),
            ("PayloadIdentifier", .string("\(identifier).account")),
            ("PayloadType", .string("com.apple.mail.managed")),
            ("PayloadUUID", .string(UUID().uuidString)),
            ("PayloadVersion", .integer(1)),
        ])
        return .dictionary([
            ("PayloadContent", .array([mail])),
            ("PayloadDescription", .string("Mail settings for \(address): reading mail over POP3 on port \(incoming.port), sending through port \(settings.submission.port) with authentication.")),
            ("PayloadDisplayName", .string("Mail: \(address)")),
            ("PayloadIdentifier", .string(identifier)),
            ("PayloadOrganization", .string(organization)),
            ("PayloadRemovalDisallowed", .bool(false)),
            ("PayloadType", .string("Configuration")),
            ("PayloadUUID", .string(UUID().uuidString)),
            ("PayloadVersion", .integer(1)),
        ])
    }

    /// The profile document (XML property list).
    public func render() -> String {
        propertyList.xmlDocument()
    }
}
