import Foundation
import Synchronization

/// Receives one message's bytes and commits it to the spool.
///
/// ```swift
/// let writer = try spool.beginMessage()        // writer.id is known now (for the Received header)
/// try writer.write(chunk)                      // as DATA/BDAT streams in; memory stays bounded
/// let id = try await writer.commit(envelope: envelope)   // returns once durable: now send 250
/// ```
/// or `writer.abort()` when the transaction fails. A writer that is dropped without either
/// is aborted. A message up to ``spillThreshold`` octets stays in memory and goes straight
/// into the journal at commit; a bigger one is spilled to `tmp/<id>` (through a 64 KiB buffer)
/// so memory stays bounded whatever the size. Nothing is fsync'd until commit, where the group
/// committer makes it durable together with concurrent commits.
public final class SpoolWriter: Sendable {
    /// The message's queue ID, assigned at the start so it can appear in the Received header.
    public let id: QueueID

    private struct State {
        /// The spill file, once the message outgrew memory.
        var fd: Int32?
        var buffer: [UInt8] = []
        var size = 0
        var finished = false
    }

    /// Messages up to this size are kept in memory until commit (most mail is far smaller).
    static let spillThreshold = 256 * 1024
    /// Once spilled, buffered bytes are written out once this many are waiting.
    static let bufferLimit = 64 * 1024

    private let state: Mutex<State>
    private let path: String
    private let layout: SpoolLayout
    private let committer: GroupCommitter

    init(id: QueueID, layout: SpoolLayout, committer: GroupCommitter) {
        self.id = id
        self.path = layout.temporaryDataPath(id)
        self.layout = layout
        self.committer = committer
        state = Mutex(State())
    }

    deinit {
        abort()
    }

    /// The number of octets written so far.
    public var size: Int {
        state.withLock { $0.size }
    }

    /// Appends message bytes.
    public func write(_ bytes: some Collection<UInt8>) throws {
        try state.withLock { state in
            guard !state.finished else { throw SpoolError.writerFinished(id) }
            state.buffer.append(contentsOf: bytes)
            state.size += bytes.count
            if state.fd == nil && state.size > Self.spillThreshold {
                // O_EXCL: an ID is never reused; O_RDWR: the committer reads the bytes back.
                state.fd = try FileIO.openFile(path, O_RDWR | O_CREAT | O_EXCL)
            }
            if state.fd != nil && state.buffer.count >= Self.bufferLimit {
                try flush(&state)
            }
        }
    }

    /// Makes the message durable and visible in the queue with `envelope`.
    ///
    /// Returns only after the message bytes and the envelope are on stable storage (the
    /// journal's fdatasync) and the message is listed; only then may the server reply 250.
    /// `envelope.size` is set to the number of octets written.
    ///
    /// `prefix` is put in front of the bytes written so far: header fields that can only be
    /// computed once the whole message is known (a DKIM-Signature over the streamed body).
    ///
    /// `held`: the message is committed on hold (``Spool/hold(_:)``): its hold marker is made
    /// durable *before* the message becomes visible, so delivery can never see it unheld.
    @discardableResult
    public func commit(envelope: SpoolEnvelope, prefix: [UInt8] = [], held: Bool = false) async throws -> QueueID {
        if held {
            do {
                try Spool.writeMarker(.hold, of: id, layout: layout)
            } catch {
                abort()
                throw error
            }
            do {
                return try await commitVisible(envelope: envelope, prefix: prefix)
            } catch {
                try? FileIO.unlinkIfPresent(layout.markerPath(id, .hold))
                throw error
            }
        }
        return try await commitVisible(envelope: envelope, prefix: prefix)
    }

    private func commitVisible(envelope: SpoolEnvelope, prefix: [UInt8]) async throws -> QueueID {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<QueueID, any Error>) in
            commit(envelope: envelope, prefix: prefix) { continuation.resume(with: $0) }
        }
    }

    /// ``commit(envelope:prefix:held:)`` for callers that are not async (a SwiftNIO handler
    /// completing a promise): `completion` runs on the committer thread once the message is
    /// durable (or failed). The message is not held; a held commit writes its marker first
    /// and must use the async form.
    public func commit(envelope: SpoolEnvelope, prefix: [UInt8] = [],
                       completion: @escaping @Sendable (Result<QueueID, any Error>) -> Void) {
        var envelope = envelope
        let data: GroupCommitter.MessageData
        do {
            data = try state.withLock { state in
                guard !state.finished else { throw SpoolError.writerFinished(id) }
                guard state.fd != nil else {
                    state.finished = true
                    state.size += prefix.count
                    envelope.size = state.size
                    defer { state.buffer = [] }
                    return .memory(prefix.isEmpty ? state.buffer : prefix + state.buffer)
                }
                do {
                    try flush(&state)
                    if !prefix.isEmpty { try prepend(prefix, to: &state) }
                } catch {
                    discard(&state)
                    throw error
                }
                state.finished = true
                envelope.size = state.size
                return .file(state.fd!)
            }
        } catch {
            completion(.failure(error))
            return
        }
        let encoded: [UInt8]
        do {
            encoded = Array(try SpoolEnvelope.encoder.encode(envelope))
        } catch {
            if case .file(let fd) = data {
                FileIO.closeFile(fd)
                try? FileIO.unlinkIfPresent(path)
            }
            completion(.failure(SpoolError.corrupt(path: path, reason: "the envelope cannot be encoded: \(error)")))
            return
        }
        let queueID = self.id
        committer.submit(.message(id: queueID, data: data, envelope: envelope, encoded: encoded, completion: { result in
            completion(result.map { queueID }.mapError { $0 as any Error })
        }))
    }

    /// Drops the message: closes and removes its temporary file. Safe to call more than once.
    public func abort() {
        state.withLock { state in
            guard !state.finished else { return }
            discard(&state)
        }
    }

    private func discard(_ state: inout State) {
        state.finished = true
        state.buffer = []
        guard let fd = state.fd else { return }
        FileIO.closeFile(fd)
        try? FileIO.unlinkIfPresent(path)
    }

    /// Rewrites the spill file as `prefix` + its content. The file is not yet durable or
    /// visible, so a copy into a sibling file renamed over it is safe; it costs one pass over
    /// the message in the page cache.
    private func prepend(_ prefix: [UInt8], to state: inout State) throws {
        guard let fd = state.fd else { return }
        let newPath = path + ".prefixed"
        let newFD = try FileIO.openFile(newPath, O_RDWR | O_CREAT | O_TRUNC)
        do {
            try FileIO.writeAll(newFD, prefix, path: newPath)
            var offset: UInt64 = 0
            var chunk = [UInt8](repeating: 0, count: Self.bufferLimit)
            while true {
                let count = try chunk.withUnsafeMutableBytes { try FileIO.readSome(fd, into: $0, at: offset, path: path) }
                if count == 0 { break }
                try FileIO.writeAll(newFD, Array(chunk[0..<count]), path: newPath)
                offset += UInt64(count)
            }
            try FileIO.renameFile(newPath, path)
        } catch {
            FileIO.closeFile(newFD)
            try? FileIO.unlinkIfPresent(newPath)
            throw error
        }
        FileIO.closeFile(fd)
        state.fd = newFD
        state.size += prefix.count
    }

    private func flush(_ state: inout State) throws {
        guard let fd = state.fd, !state.buffer.isEmpty else { return }
        try FileIO.writeAll(fd, state.buffer, path: path)
        state.buffer.removeAll(keepingCapacity: true)
    }
}
