import Foundation
public import Postgres
import Synchronization

/// Bearer tokens verified in the last minute, kept in memory so a request does not ask the
/// database again who its token stands for.
///
/// An entry is trusted only while all of these hold:
/// - it is younger than `lifetime` (then the token is checked again, which also marks it used);
/// - the token has not reached its expiry, and the day (UTC) it was checked has not ended
///   (grants end with a day);
/// - the listener on `chitieu_auth` is connected and has not reconnected since the entry was
///   made (notifications sent while it was down are lost);
/// - no change to the province's tokens, accounts, grants or settings was announced since the
///   check began (`chitieu_auth` carries the province id; see migration 0013).
///
/// Without a connected listener nothing is kept: every request is checked in the database.
public final class TokenCache: Sendable {
    /// How long a verified token is trusted before it is checked again.
    public let lifetime: Duration
    private let state = Mutex(State())

    private struct Entry {
        var province: Int64
        var caller: Caller
        /// Trusted until then: the lifetime, the token's expiry, or the end of the day (UTC, the
        /// database sessions' zone), when grants that end that day end.
        var until: Date
        var generation: Int
        /// The province's and the cache's epochs when the check began.
        var provinceEpoch: Int
        var epoch: Int
    }

    private struct State {
        var entries: [Data: Entry] = [:]
        /// Bumped by every announced change of a province.
        var epochs: [Int64: Int] = [:]
        /// Bumped by a change of unknown province.
        var epoch = 0
        var link = PostgresListener.Link(isConnected: false, generation: 0)
    }

    /// What a check saw before it asked the database: it may store its answer only if nothing
    /// changed meanwhile.
    public struct Ticket: Sendable {
        let province: Int64
        let provinceEpoch: Int
        let epoch: Int
        let generation: Int
    }

    /// The channel changes are announced on.
    public static let channel = "chitieu_auth"
    /// At most this many tokens are kept; beyond it the cache starts afresh.
    static let capacity = 100_000

    /// A cache trusting a verified token for `lifetime` (at most a minute: the token's last use
    /// is marked once a minute).
    public init(lifetime: Duration = .seconds(60)) {
        self.lifetime = min(lifetime, .seconds(60))
    }

    /// The caller a token (by its digest) stands for, if a trusted entry holds it.
    func caller(digest: Data, now: Date = Date()) -> Caller? {
        state.withLock { state -> Caller? in
            guard state.link.isConnected, let entry = state.entries[digest] else { return nil }
            guard entry.generation == state.link.generation, now < entry.until, entry.epoch == state.epoch,
                entry.provinceEpoch == state.epochs[entry.province, default: 0]
            else {
                state.entries[digest] = nil
                return nil
            }
            return entry.caller
        }
    }

    /// Taken before a token is checked in the database; nil when nothing may be kept.
    func ticket(province: Int64) -> Ticket? {
        state.withLock { state in
            guard state.link.isConnected else { return nil }
            return Ticket(
                province: province, provinceEpoch: state.epochs[province, default: 0], epoch: state.epoch, generation: state.link.generation)
        }
    }

    /// Keeps a verified token, unless a change was announced since `ticket` was taken.
    func store(digest: Data, caller: Caller, expiresAt: Date?, ticket: Ticket) {
        state.withLock { state in
            guard state.link.isConnected, state.link.generation == ticket.generation,
                state.epochs[ticket.province, default: 0] == ticket.provinceEpoch, state.epoch == ticket.epoch
            else { return }
            if state.entries.count >= Self.capacity { state.entries.removeAll(keepingCapacity: true) }
            let now = Date()
            let midnight = (now.timeIntervalSince1970 / 86_400).rounded(.down) * 86_400 + 86_400
            let until = min(now.addingTimeInterval(Double(lifetime.components.seconds)), Date(timeIntervalSince1970: midnight), expiresAt ?? .distantFuture)
            state.entries[digest] = Entry(
                province: ticket.province, caller: caller, until: until, generation: ticket.generation, provinceEpoch: ticket.provinceEpoch,
                epoch: ticket.epoch)
        }
    }

    /// A change of a province's tokens, accounts, grants or settings: its entries go.
    public func invalidate(province: Int64) {
        // Entries of the province are left in place and refused by their epoch: a burst of
        // announcements costs a counter each, not a pass over every token.
        state.withLock { $0.epochs[province, default: 0] += 1 }
    }

    /// A change whose province is not known: every entry goes.
    public func invalidateAll() {
        state.withLock { state in
            state.epoch += 1
            state.entries.removeAll(keepingCapacity: true)
        }
    }

    /// The listener's state changed: entries from before a reconnection go.
    public func update(link: PostgresListener.Link) {
        state.withLock { state in
            guard state.link != link else { return }
            if link.generation != state.link.generation || !link.isConnected { state.entries.removeAll() }
            state.link = link
        }
    }

    /// Announces, in the transaction that makes it, a change to what the province's tokens
    /// stand for (a token, an account, a grant, a setting): every daemon drops them at commit.
    public static func announceChange(province: Int64, on connection: PostgresConnection) async throws {
        try await connection.query("SELECT pg_notify(\(channel), \(String(province)))")
    }

    /// How many tokens are kept (for tests and metrics).
    public var count: Int { state.withLock { $0.entries.count } }
}
