import Foundation
public import Postgres

/// Bearer tokens verified in the last minute, kept in memory so a request does not ask the
/// database again who its token stands for.
///
/// An entry is trusted for at most `lifetime` (then the token is checked again, which also
/// marks it used), never past the token's expiry or the end of the day (UTC) it was checked
/// (grants end with a day), and only while the listener on `chitieu_auth` hears of every
/// change to the province's tokens, accounts, grants or settings (`AnnouncedCache`; which
/// province changed is read from its epoch, see migration 0021).
///
/// Without a connected listener nothing is kept: every request is checked in the database.
public final class TokenCache: AnnouncedInvalidation {
    /// How long a verified token is trusted before it is checked again.
    public let lifetime: Duration
    private let entries = AnnouncedCache<Data, Caller>(capacity: 100_000)

    /// What a check saw before it asked the database.
    typealias Ticket = AnnouncedCache<Data, Caller>.Ticket

    /// The channel changes are announced on.
    public static let channel = "chitieu_auth"

    /// A cache trusting a verified token for `lifetime` (at most a minute: the token's last use
    /// is marked once a minute).
    public init(lifetime: Duration = .seconds(60)) {
        self.lifetime = min(lifetime, .seconds(60))
    }

    /// The caller a token (by its digest) stands for, if a trusted entry holds it.
    func caller(digest: Data, now: Date = Date()) -> Caller? {
        entries.value(for: digest, now: now)
    }

    /// Taken before a token is checked in the database; nil when nothing may be kept.
    func ticket(province: Int64) -> Ticket? {
        entries.ticket(province: province)
    }

    /// Keeps a verified token, unless a change was announced since `ticket` was taken. It is
    /// trusted for the lifetime, and at most until the token's expiry or the end of the day (UTC,
    /// the database sessions' zone), when grants that end that day end.
    func store(digest: Data, caller: Caller, expiresAt: Date?, ticket: Ticket) {
        let now = Date()
        let midnight = (now.timeIntervalSince1970 / 86_400).rounded(.down) * 86_400 + 86_400
        let until = min(now.addingTimeInterval(Double(lifetime.components.seconds)), Date(timeIntervalSince1970: midnight), expiresAt ?? .distantFuture)
        entries.store(caller, for: digest, until: until, ticket: ticket)
    }

    /// A change of a province's tokens, accounts, grants or settings: its entries go.
    public func invalidate(province: Int64) { entries.invalidate(province: province) }

    /// A change whose province is not known: every entry goes.
    public func invalidateAll() { entries.invalidateAll() }

    /// The listener's state changed: entries from before a reconnection go.
    public func update(link: PostgresListener.Link) { entries.update(link: link) }

    /// How many tokens are kept (for tests and metrics).
    public var count: Int { entries.count }
}

extension ChitieuDatabase {
    /// A transaction of the province that changes what its tokens stand for (a token, an
    /// account, a grant, a setting). The change is announced in it, so every daemon drops the
    /// province's kept tokens when it commits; `cache`, this daemon's, drops them as soon as it
    /// has committed, before the announcement comes back.
    func withTokenChange<T: Sendable>(
        _ province: Int64, cache: TokenCache?, _ body: @Sendable (TenantTransaction) async throws -> T
    ) async throws -> T {
        let value = try await withTenant(province) { tx in
            let value = try await body(tx)
            try await TokenCache.announceChange(province: province, on: tx.connection)
            return value
        }
        cache?.invalidate(province: province)
        return value
    }
}
