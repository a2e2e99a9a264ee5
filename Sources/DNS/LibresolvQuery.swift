import CResolv
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// One blocking query through glibc's libresolv on a private `res_state`.
///
/// Every query gets its own state (`res_ninit` … `res_nclose`), so queries on different
/// threads share nothing and the process-wide `_res` is never touched. The reply is taken
/// apart with `ns_initparse`/`ns_parserr` and names with `ns_name_uncompress`: no
/// hand-written wire parser.
///
/// `package` (with ``AnswerRecord`` and the record decoders) so the DNS fuzz target (Fuzz/)
/// can feed replies to ``parse(message:name:type:decode:)`` without a network.
package enum LibresolvQuery {
    /// The largest DNS message (RFC 1035 §4.2.2 TCP length prefix): libresolv retries over
    /// TCP when a UDP answer is truncated, so the buffer must hold a full TCP answer.
    static let answerBufferSize = 65_535

    /// RFC 1035 §2.3.4: a name is at most 255 octets on the wire, 253 characters as text.
    static let maximumNameLength = 253

    /// Runs a query for `name`/`type` and decodes every answer record of that type with `decode`.
    ///
    /// `decode` returns nil for a record whose data is malformed; that makes the whole answer
    /// a temporary failure, because a broken reply says nothing about the name.
    static func run<Record>(
        name: String,
        type: DNSRecordType,
        configuration: DNSResolverConfiguration,
        decode: (AnswerRecord) -> Record?
    ) -> Result<[Record], DNSError> {
        guard isQueryable(name) else { return .failure(.invalidName(name: name)) }

        let state = UnsafeMutablePointer<__res_state>.allocate(capacity: 1)
        state.initialize(to: __res_state())
        defer { state.deallocate() }
        guard __res_ninit(state) == 0 else {
            return .failure(.temporaryFailure(name: name, reason: "the resolver could not be initialised"))
        }
        defer { __res_nclose(state) }
        if !configuration.nameservers.isEmpty {
            guard useNameservers(configuration.nameservers, in: state) else {
                return .failure(.temporaryFailure(name: name, reason: "out of memory setting nameservers"))
            }
        }
        state.pointee.retrans = Int32(max(1, configuration.timeoutSeconds))
        state.pointee.retry = Int32(max(1, configuration.attempts))

        var buffer = [UInt8](repeating: 0, count: answerBufferSize)
        return buffer.withUnsafeMutableBufferPointer { answer -> Result<[Record], DNSError> in
            let length = res_nquery(state, name, Int32(ns_c_in.rawValue), Int32(type.rawValue),
                                    answer.baseAddress, Int32(answer.count))
            guard length >= 0 else {
                return .failure(error(for: state.pointee.res_h_errno, name: name, type: type))
            }
            let message = UnsafeBufferPointer(start: answer.baseAddress, count: Int(min(Int32(answer.count), length)))
            return parse(message: message, name: name, type: type, decode: decode)
        }
    }

    /// Maps libresolv's `h_errno` for a failed query (glibc `__res_context_query`).
    static func error(for hErrno: Int32, name: String, type: DNSRecordType) -> DNSError {
        switch hErrno {
        case HOST_NOT_FOUND:
            return .nameNotFound(name: name)
        case NO_DATA:
            return .noData(name: name, type: type)
        case TRY_AGAIN:
            return .temporaryFailure(name: name, reason: "server failure (SERVFAIL) or no answer in time")
        case NO_RECOVERY:
            // FORMERR, NOTIMP or REFUSED: a problem of the server we asked, not an answer
            // about the name, so it must not bounce mail.
            return .temporaryFailure(name: name, reason: "the nameserver refused or could not process the query")
        default:
            return .temporaryFailure(name: name, reason: "resolver error \(hErrno)")
        }
    }

    package static func parse<Record>(
        message: UnsafeBufferPointer<UInt8>,
        name: String,
        type: DNSRecordType,
        decode: (AnswerRecord) -> Record?
    ) -> Result<[Record], DNSError> {
        guard let base = message.baseAddress else {
            return .failure(.temporaryFailure(name: name, reason: "empty reply"))
        }
        var handle = ns_msg()
        guard ns_initparse(base, Int32(message.count), &handle) == 0 else {
            return .failure(.temporaryFailure(name: name, reason: "malformed reply"))
        }
        let answerCount = Int(handle._counts.1)  // index 1 is ns_s_an
        var records: [Record] = []
        var record = ns_rr()
        for index in 0..<answerCount {
            guard ns_parserr(&handle, ns_s_an, Int32(index), &record) == 0 else {
                return .failure(.temporaryFailure(name: name, reason: "malformed answer record"))
            }
            // CNAMEs and other types may precede the data (RFC 1034 §3.6.2); skip them.
            guard record.type == type.rawValue, record.rr_class == UInt16(ns_c_in.rawValue) else { continue }
            let rdata = UnsafeBufferPointer(start: record.rdata, count: Int(record.rdlength))
            guard let decoded = decode(AnswerRecord(message: message, rdata: rdata)) else {
                return .failure(.temporaryFailure(name: name, reason: "malformed \(type) record"))
            }
            records.append(decoded)
        }
        guard !records.isEmpty else { return .failure(.noData(name: name, type: type)) }
        return .success(records)
    }

    /// A name libresolv can put in a query: ASCII, no control characters, within length.
    static func isQueryable(_ name: String) -> Bool {
        guard !name.isEmpty, name.utf8.count <= maximumNameLength + 1 else { return false }
        return name.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F }
    }

    /// Replaces the servers read from /etc/resolv.conf with `servers`.
    ///
    /// IPv4 servers go into `nsaddr_list`. libresolv keeps IPv6 servers in the extension
    /// area (`_u._ext.nsaddrs`, heap-allocated, freed by `res_nclose`) with the matching
    /// `nsaddr_list` entry's family left 0: that is how glibc's own `res_ninit` stores
    /// them, and how `res_send` finds them.
    private static func useNameservers(_ servers: [NameserverAddress], in state: UnsafeMutablePointer<__res_state>) -> Bool {
        // Free IPv6 entries res_ninit may have allocated from resolv.conf; we own the list now.
        withUnsafeMutableBytes(of: &state.pointee._u._ext.nsaddrs) { raw in
            let slots = raw.bindMemory(to: UnsafeMutablePointer<sockaddr_in6>?.self)
            for index in slots.indices {
                free(slots[index])
                slots[index] = nil
            }
        }
        let count = min(servers.count, DNSResolverConfiguration.maximumNameservers)
        var ok = true
        withUnsafeMutableBytes(of: &state.pointee.nsaddr_list) { listRaw in
            let list = listRaw.bindMemory(to: sockaddr_in.self)
            withUnsafeMutableBytes(of: &state.pointee._u._ext.nsaddrs) { extRaw in
                let slots = extRaw.bindMemory(to: UnsafeMutablePointer<sockaddr_in6>?.self)
                for index in 0..<count {
                    let server = servers[index]
                    list[index] = sockaddr_in()
                    switch server.family {
                    case .ipv4:
                        list[index].sin_family = sa_family_t(AF_INET)
                        list[index].sin_port = server.port.bigEndian
                        _ = inet_pton(AF_INET, server.host, &list[index].sin_addr)
                    case .ipv6:
                        guard let raw = malloc(MemoryLayout<sockaddr_in6>.size) else { ok = false; return }
                        let address = raw.bindMemory(to: sockaddr_in6.self, capacity: 1)
                        address.initialize(to: sockaddr_in6())
                        address.pointee.sin6_family = sa_family_t(AF_INET6)
                        address.pointee.sin6_port = server.port.bigEndian
                        _ = inet_pton(AF_INET6, server.host, &address.pointee.sin6_addr)
                        slots[index] = address
                    }
                }
            }
        }
        state.pointee.nscount = Int32(count)
        return ok
    }
}

/// One answer record handed to a decoder: its data and the whole message, which
/// compressed names in the data point into (RFC 1035 §4.1.4).
package struct AnswerRecord {
    /// The whole reply.
    package let message: UnsafeBufferPointer<UInt8>
    /// This record's RDATA.
    package let rdata: UnsafeBufferPointer<UInt8>

    /// A big-endian 16-bit value at `offset` in the RDATA.
    package func uint16(at offset: Int) -> UInt16? {
        guard offset + 2 <= rdata.count else { return nil }
        return UInt16(rdata[offset]) << 8 | UInt16(rdata[offset + 1])
    }

    /// The possibly compressed name at `offset` in the RDATA, as text without the trailing
    /// dot ("" for the root), decoded by `ns_name_uncompress`.
    package func name(at offset: Int) -> String? {
        guard offset < rdata.count, let messageBase = message.baseAddress, let dataBase = rdata.baseAddress else { return nil }
        var text = [CChar](repeating: 0, count: Int(NS_MAXDNAME))
        let used = text.withUnsafeMutableBufferPointer { out in
            ns_name_uncompress(messageBase, messageBase + message.count, dataBase + offset,
                               out.baseAddress, out.count)
        }
        guard used >= 0 else { return nil }
        var result = String(decoding: text.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        if result == "." { result = "" }
        if result.hasSuffix(".") { result.removeLast() }
        return result
    }
}
