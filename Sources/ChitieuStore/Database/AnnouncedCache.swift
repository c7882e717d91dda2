public import Foundation
public import Postgres
import Synchronization

/// A daemon's memory of answers the database gave, kept only while it hears of every change
/// that could make them wrong. Changes are announced per province in the transaction that makes
/// them (an epoch moves, then a NOTIFY), and a listener hands them on (`invalidate(province:)`).
///
/// An entry is trusted only while all of these hold:
/// - its own time limit has not passed;
/// - the listener is connected and has not reconnected since the entry was made
///   (notifications sent while it was down are lost);
/// - no change to its province was announced since its answer was asked for (`Ticket`).
///
/// Without a connected listener nothing is kept.
public final class AnnouncedCache<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    /// The most the entries may cost together (a count, or bytes: what `store` is told).
    private let capacity: Int
    private let state = Mutex(State())

    private struct Entry {
        var province: Int64
        var value: Value
        var cost: Int
        var until: Date
        var generation: Int
        /// The province's and the cache's epochs when the answer was asked for.
        var provinceEpoch: Int
        var epoch: Int
    }

    private struct State {
        var entries: [Key: Entry] = [:]
        /// What the entries cost together.
        var cost = 0
        /// Bumped by every announced change of a province.
        var epochs: [Int64: Int] = [:]
        /// Bumped by a change of unknown province.
        var epoch = 0
        var link = PostgresListener.Link(isConnected: false, generation: 0)

        mutating func remove(_ key: Key) {
            if let entry = entries.removeValue(forKey: key) { cost -= entry.cost }
        }

        mutating func removeAll() {
            entries.removeAll(keepingCapacity: true)
            cost = 0
        }

        func isTrusted(_ entry: Entry, now: Date) -> Bool {
            link.isConnected && entry.generation == link.generation && now < entry.until && entry.epoch == epoch
                && entry.provinceEpoch == epochs[entry.province, default: 0]
        }

        /// Drops the entries no longer trusted (announced, past their time), which are
        /// otherwise dropped only when asked for.
        mutating func sweep(now: Date) {
            for (key, entry) in entries where !isTrusted(entry, now: now) { remove(key) }
        }
    }

    /// What the cache looked like before the database was asked: the answer may be kept only
    /// if nothing changed meanwhile.
    public struct Ticket: Sendable {
        let province: Int64
        let provinceEpoch: Int
        let epoch: Int
        let generation: Int
    }

    /// A cache whose entries cost at most `capacity` together (beyond it, it starts afresh).
    public init(capacity: Int) {
        self.capacity = capacity
    }

    /// The kept value under `key`, if it is still trusted.
    public func value(for key: Key, now: Date = Date()) -> Value? {
        state.withLock { state -> Value? in
            guard state.link.isConnected, let entry = state.entries[key] else { return nil }
            guard state.isTrusted(entry, now: now) else {
                state.remove(key)
                return nil
            }
            return entry.value
        }
    }

    /// Taken before the database is asked; nil when nothing may be kept.
    public func ticket(province: Int64) -> Ticket? {
        state.withLock { state in
            guard state.link.isConnected else { return nil }
            return Ticket(
                province: province, provinceEpoch: state.epochs[province, default: 0], epoch: state.epoch, generation: state.link.generation)
        }
    }

    /// Keeps `value` until `until`, unless a change was announced since `ticket` was taken.
    /// `cost` counts against the capacity (1, or its size); a value costing more than a
    /// sixteenth of it is not kept.
    public func store(_ value: Value, for key: Key, until: Date, ticket: Ticket, cost: Int = 1) {
        guard cost <= max(1, capacity / 16) else { return }
        state.withLock { state in
            guard state.link.isConnected, state.link.generation == ticket.generation,
                state.epochs[ticket.province, default: 0] == ticket.provinceEpoch, state.epoch == ticket.epoch
            else { return }
            state.remove(key)
            // Full: what is no longer trusted goes first; if that is not enough, everything.
            if state.cost + cost > capacity { state.sweep(now: Date()) }
            if state.cost + cost > capacity { state.removeAll() }
            state.entries[key] = Entry(
                province: ticket.province, value: value, cost: cost, until: until, generation: ticket.generation,
                provinceEpoch: ticket.provinceEpoch, epoch: ticket.epoch)
            state.cost += cost
        }
    }

    /// A change of a province: its entries go.
    public func invalidate(province: Int64) {
        // Entries of the province are left in place and refused by their epoch: a burst of
        // announcements costs a counter each, not a pass over every entry.
        state.withLock { $0.epochs[province, default: 0] += 1 }
    }

    /// A change whose province is not known: every entry goes.
    public func invalidateAll() {
        state.withLock { state in
            state.epoch += 1
            state.removeAll()
        }
    }

    /// The listener's state changed: entries from before a reconnection go.
    public func update(link: PostgresListener.Link) {
        state.withLock { state in
            guard state.link != link else { return }
            if link.generation != state.link.generation || !link.isConnected { state.removeAll() }
            state.link = link
        }
    }

    /// How many entries are kept (for tests and metrics).
    public var count: Int { state.withLock { $0.entries.count } }

    /// What the kept entries cost together.
    public var cost: Int { state.withLock { $0.cost } }
}

/// A cache that a listener keeps honest: what `CacheInvalidationService` drives.
public protocol AnnouncedInvalidation: Sendable {
    /// The NOTIFY channel its changes are announced on. The notification carries nothing: the
    /// provinces that changed are those whose epoch moved (`AnnouncedEpochs`).
    static var channel: String { get }
    func invalidate(province: Int64)
    func invalidateAll()
    func update(link: PostgresListener.Link)
}

extension AnnouncedInvalidation {
    /// Announces, in the transaction that makes it, a change of the province that this cache's
    /// entries depend on: its epoch moves, and every daemon drops them when it commits.
    public static func announceChange(province: Int64, on connection: PostgresConnection) async throws {
        try await connection.query("SELECT chitieu.announce_change(\(channel), \(province))", prepared: true)
    }
}

/// What a daemon last read of `chitieu.cache_epoch`: per channel and province, how many changes
/// were announced. A NOTIFY proves nothing (any role may send one); an epoch only the owner
/// writes does. On a notification the daemon reads the epochs again, and what moved is what
/// changed: a forged notification moves nothing.
public struct AnnouncedEpochs: Sendable, Equatable {
    /// A channel's epoch of a province.
    public struct Key: Hashable, Sendable {
        public var channel: String
        public var province: Int64

        public init(channel: String, province: Int64) {
            self.channel = channel
            self.province = province
        }
    }

    private var known: [Key: Int64]

    /// The epochs as read (rows absent: nothing announced yet).
    public init(_ epochs: [Key: Int64] = [:]) {
        known = epochs
    }

    /// The channels and provinces whose epoch moved since the last reading (a province seen for
    /// the first time included); `epochs` become the last reading.
    public mutating func changes(_ epochs: [Key: Int64]) -> [Key] {
        let moved = epochs.filter { known[$0.key] != $0.value }.map { $0.key }
        known = epochs
        return moved
    }

    /// Reads the epochs of `channels`.
    public static func read(channels: [String], on connection: PostgresConnection) async throws -> [Key: Int64] {
        var epochs: [Key: Int64] = [:]
        for row in try await connection.query(
            "SELECT channel, province_id, epoch FROM chitieu.cache_epoch WHERE channel = ANY (\(channels)::text[])", prepared: true)
        {
            epochs[Key(channel: try row.decode(String.self, at: 0), province: try row.decode(Int64.self, at: 1))] = try row.decode(Int64.self, at: 2)
        }
        return epochs
    }
}
