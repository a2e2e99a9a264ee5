import Foundation
import SMTPCore

// The on-disk form of envelopes (`queue/<id>.envelope`, journal records) and of delivery
// state (`queue/<id>.state`): JSON with sorted keys, dates in seconds since 1970.
//
// Version 2 stores typed values: a mailbox as its local part and domain (no address
// parsing on the way back), NOTIFY as its keywords, ORCPT as type and decoded address, each
// recipient's last reply as code, enhanced code, lines and remote host. An envelope without
// a `version` is version 1, whose strings are converted once, as they are read
// (`SpoolEnvelope+Legacy.swift`); a state file that is a bare array is version 1 as well.

extension SpoolEnvelope: Codable {
    /// The version written.
    static let currentVersion = 2

    private enum CodingKeys: String, CodingKey {
        case version, sender, recipients, ret, envelopeID, body, smtputf8, arrival, clientAddress, heloName
        case authenticatedAccount, origin, size
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        guard let version = try container.decodeIfPresent(Int.self, forKey: .version) else {
            self = try LegacyEnvelope(from: decoder).converted()
            return
        }
        guard version == Self.currentVersion else {
            throw DecodingError.dataCorruptedError(forKey: .version, in: container, debugDescription: "unknown envelope version \(version)")
        }
        sender = try container.decodeIfPresent(StoredMailbox.self, forKey: .sender).map { .mailbox($0.mailbox) } ?? .null
        recipients = try container.decode([SpoolRecipient].self, forKey: .recipients)
        ret = try container.decodeIfPresent(StoredKeyword<DSNReturn>.self, forKey: .ret)?.value
        envelopeID = try container.decodeIfPresent(String.self, forKey: .envelopeID)
        body = try container.decodeIfPresent(StoredKeyword<BodyType>.self, forKey: .body)?.value
        smtputf8 = try container.decode(Bool.self, forKey: .smtputf8)
        arrival = try container.decode(Date.self, forKey: .arrival)
        clientAddress = try container.decode(String.self, forKey: .clientAddress)
        heloName = try container.decodeIfPresent(String.self, forKey: .heloName)
        authenticatedAccount = try container.decodeIfPresent(String.self, forKey: .authenticatedAccount)
        origin = try container.decode(MessageOrigin.self, forKey: .origin)
        size = try container.decode(Int.self, forKey: .size)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(Self.currentVersion, forKey: .version)
        try container.encodeIfPresent(sender.mailbox.map(StoredMailbox.init), forKey: .sender)
        try container.encode(recipients, forKey: .recipients)
        try container.encodeIfPresent(ret.map(StoredKeyword.init), forKey: .ret)
        try container.encodeIfPresent(envelopeID, forKey: .envelopeID)
        try container.encodeIfPresent(body.map(StoredKeyword.init), forKey: .body)
        try container.encode(smtputf8, forKey: .smtputf8)
        try container.encode(arrival, forKey: .arrival)
        try container.encode(clientAddress, forKey: .clientAddress)
        try container.encodeIfPresent(heloName, forKey: .heloName)
        try container.encodeIfPresent(authenticatedAccount, forKey: .authenticatedAccount)
        try container.encode(origin, forKey: .origin)
        try container.encode(size, forKey: .size)
    }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.dateEncodingStrategy = .secondsSince1970
        return encoder
    }()

    static func makeDecoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .secondsSince1970
        return decoder
    }

    /// The state file's bytes for `statuses`.
    static func encodeStatuses(_ statuses: [RecipientDeliveryStatus]) throws -> [UInt8] {
        Array(try encoder.encode(StoredStatuses(version: currentVersion, recipients: statuses)))
    }

    /// Reads a state file of any version.
    static func decodeStatuses(_ bytes: [UInt8]) throws -> [RecipientDeliveryStatus] {
        let decoder = makeDecoder()
        if let legacy = try? decoder.decode([LegacyEnvelope.Recipient].self, from: Data(bytes)) {
            return legacy.map(\.status)
        }
        let stored = try decoder.decode(StoredStatuses.self, from: Data(bytes))
        guard stored.version == currentVersion else {
            throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "unknown state version \(stored.version)"))
        }
        return stored.recipients
    }
}

extension SpoolRecipient: Codable {
    private enum CodingKeys: String, CodingKey {
        case mailbox, postmaster, notify, originalRecipient, state, attempts, nextAttempt, lastReply
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        if try container.decodeIfPresent(Bool.self, forKey: .postmaster) == true {
            path = .postmaster
        } else {
            path = .mailbox(try container.decode(StoredMailbox.self, forKey: .mailbox).mailbox)
        }
        notify = try container.decodeIfPresent(StoredNotify.self, forKey: .notify)?.value
        originalRecipient = try container.decodeIfPresent(StoredOriginalRecipient.self, forKey: .originalRecipient)?.value
        state = try container.decode(DeliveryState.self, forKey: .state)
        attempts = try container.decode(Int.self, forKey: .attempts)
        nextAttempt = try container.decodeIfPresent(Date.self, forKey: .nextAttempt)
        lastReply = try container.decodeIfPresent(DeliveryReply.self, forKey: .lastReply)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch path {
        case .postmaster: try container.encode(true, forKey: .postmaster)
        case .mailbox(let mailbox): try container.encode(StoredMailbox(mailbox), forKey: .mailbox)
        }
        try container.encodeIfPresent(notify.map(StoredNotify.init), forKey: .notify)
        try container.encodeIfPresent(originalRecipient.map(StoredOriginalRecipient.init), forKey: .originalRecipient)
        try container.encode(state, forKey: .state)
        try container.encode(attempts, forKey: .attempts)
        try container.encodeIfPresent(nextAttempt, forKey: .nextAttempt)
        try container.encodeIfPresent(lastReply, forKey: .lastReply)
    }
}

/// The state file: the statuses in envelope order, with the format version.
private struct StoredStatuses: Codable {
    var version: Int
    var recipients: [RecipientDeliveryStatus]
}

/// A mailbox as its two parts. A domain that starts with `[` is an address literal
/// (a domain name cannot, RFC 5321 §4.1.2).
struct StoredMailbox: Codable {
    var localPart: String
    var domain: String

    init(_ mailbox: Mailbox) {
        localPart = mailbox.localPart
        domain = mailbox.domain.text
    }

    var mailbox: Mailbox {
        Mailbox(localPart: localPart, domain: domain.hasPrefix("[") ? .addressLiteral(domain) : .name(domain))
    }
}

/// An RFC 3461 NOTIFY value as its keywords (`["NEVER"]`, `["SUCCESS", "FAILURE"]`).
struct StoredNotify: Codable {
    var value: DSNNotify

    init(_ value: DSNNotify) {
        self.value = value
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        guard let value = DSNNotify(keywords: try container.decode([String].self)) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "not a NOTIFY value")
        }
        self.value = value
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(value.keywords)
    }
}

/// RFC 3461 §4.2 ORCPT, its address type and its decoded address apart.
struct StoredOriginalRecipient: Codable {
    var addressType: String
    var address: String

    init(_ value: OriginalRecipient) {
        addressType = value.addressType
        address = value.address
    }

    var value: OriginalRecipient { OriginalRecipient(addressType: addressType, address: address) }
}

/// A keyword parameter (`BODY=`, `RET=`) as its keyword.
struct StoredKeyword<Value: RawRepresentable<String>>: Codable {
    var value: Value

    init(_ value: Value) {
        self.value = value
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let keyword = try container.decode(String.self)
        guard let value = Value(rawValue: keyword.uppercased()) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "unknown keyword \(keyword)")
        }
        self.value = value
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(value.rawValue)
    }
}
