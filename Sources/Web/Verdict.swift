/// The checker's answer: the notice's decision rules (seed-notice.md,
/// "Who is affected") as a pure function of the line and the domain.
///
/// | line \ address | hosted here (ISP or virtual domain) | elsewhere |
/// |---|---|---|
/// | this ISP's (OP25B on) | ``notAffected`` (587 still recommended) | ``affectedUseProviderSubmission`` |
/// | this ISP's, address exempt | ``notAffectedExempt`` | ``notAffectedExempt`` |
/// | another provider's | ``affectedUseOurSubmission`` | ``notAffectedByThisISP`` |
public enum Verdict: String, Sendable, Hashable, Codable, CaseIterable {
    /// Notice case 1: on the ISP's line with another provider's address.
    /// Port 25 to that provider's server is blocked; use that provider's
    /// submission port (587), as the provider advises.
    case affectedUseProviderSubmission = "affected-use-provider-submission"
    /// Notice case 2: on another provider's line with an address hosted here.
    /// That line may block port 25; use this ISP's port 587 with SMTP AUTH.
    case affectedUseOurSubmission = "affected-use-our-submission"
    /// On the ISP's line with an address hosted here, sending through the
    /// ISP's mail server: not affected. Port 587 with AUTH is still
    /// recommended, so the same settings work on any line.
    case notAffected = "not-affected"
    /// On another provider's line with another provider's address: this ISP's
    /// block does not apply; that provider's own rules do.
    case notAffectedByThisISP = "not-affected-by-this-isp"
    /// On the ISP's line from an address with an active OP25B exemption
    /// (`portcullis op25b exempt add`): port 25 is open to every mail server,
    /// whatever the address's domain.
    case notAffectedExempt = "not-affected-exempt"

    /// Decides for a line and a domain; `exempt` when the visitor's address on
    /// this ISP's line is released from OP25B.
    public init(line: Line, domain: DomainKind, exempt: Bool = false) {
        if exempt && line == .isp {
            self = .notAffectedExempt
            return
        }
        switch (line, domain.isHosted) {
        case (.isp, false): self = .affectedUseProviderSubmission
        case (.other, true): self = .affectedUseOurSubmission
        case (.isp, true): self = .notAffected
        case (.other, false): self = .notAffectedByThisISP
        }
    }

    /// Whether the block stops the visitor's current way of sending.
    public var isAffected: Bool {
        self == .affectedUseProviderSubmission || self == .affectedUseOurSubmission
    }

    /// Whether the answer shows this ISP's settings (for an address hosted here).
    public var showsOurSettings: Bool {
        self == .affectedUseOurSubmission || self == .notAffected || self == .notAffectedExempt
    }
}
