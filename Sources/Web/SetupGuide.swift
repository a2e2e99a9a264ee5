/// The step-by-step guide for one mail client, generated from
/// `[client_settings]` and the address (or a placeholder for it), with wording
/// for ISP-domain or virtual-domain addresses as the notice has: the incoming
/// (POP3) server first, then the outgoing (submission) server.
struct SetupGuide {
    /// The mail clients with a guide, in page order.
    enum Client: String, CaseIterable {
        case thunderbird, outlook, apple, android, generic
    }

    let client: Client
    let name: String
    /// Paragraphs before the steps.
    let lead: [String]
    let steps: [String]
    /// Paragraphs after the steps.
    let after: [String]
    /// Links shown with the lead (e.g. the configuration profile).
    let links: [[String: String]]
    /// The full settings table (the generic guide).
    let table: [String: Any]?

    /// The template values.
    var view: [String: Any] {
        var view: [String: Any] = [
            "id": client.rawValue, "name": name, "lead": lead, "steps": steps,
            "hasSteps": !steps.isEmpty, "after": after, "links": links,
        ]
        if let table { view["table"] = table }
        return view
    }

    /// All guides for `address` (or the placeholder text), an ISP or virtual domain.
    static func all(address: String, virtual: Bool, profileURL: String?, settings: MailSettings,
                    table: [String: Any], text: (String, [String: String]) -> String) -> [SetupGuide] {
        let values = [
            "host": settings.submission.host,
            "port": String(settings.submission.port),
            "altPort": String(settings.submissions.port),
            "inHost": settings.pop3s.host,
            "inPort": String(settings.pop3s.port),
            "inAltPort": String(settings.pop3.port),
            "address": address,
        ]
        func t(_ key: String) -> String { text(key, values) }
        return [
            SetupGuide(client: .thunderbird, name: t("guideThunderbird"),
                       lead: [t(virtual ? "tbAutoVirtual" : "tbAuto")],
                       steps: ["tbIncoming", "tb1", "tb2", "tb3", "tb4", "tb5"].map(t), after: [], links: [], table: nil),
            SetupGuide(client: .outlook, name: t("guideOutlook"),
                       lead: [t("olAuto")],
                       steps: ["olIncoming", "ol1", "ol2", "ol3", "ol4", "ol5"].map(t), after: [], links: [], table: nil),
            SetupGuide(client: .apple, name: t("guideApple"),
                       lead: profileURL == nil ? [] : [t("apProfile")],
                       steps: ["ap1", "apIncoming", "ap2", "ap3", "ap4"].map(t), after: [t("apMac")],
                       links: profileURL.map { [["url": $0, "text": t("linkProfile")]] } ?? [], table: nil),
            SetupGuide(client: .android, name: t("guideAndroid"), lead: [],
                       steps: ["anIncoming", "an1", "an2", "an3", "an4"].map(t), after: [], links: [], table: nil),
            SetupGuide(client: .generic, name: t("guideGeneric"), lead: [t("genericIntro")],
                       steps: [], after: [t("never25")], links: [], table: table),
        ]
    }
}
