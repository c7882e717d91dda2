import Foundation
public import Postgres

/// Progress answers of the last minutes, kept in memory as the daemon sends them (JSON):
/// dashboards ask for the same scope all day, and the figures change only when
/// `chitieu.compute_progress` writes them or the unit tree changes.
///
/// Each of those changes is announced with `chitieu.announce_figures(province)` (the province's
/// epoch moves, then a NOTIFY on `chitieu_figures`, migrations 0015 and 0021) in the transaction
/// that makes it: the function announces
/// the figures it wrote, unit imports and province merges announce their units. Every daemon
/// forgets the province's answers at commit.
/// An entry lives at most `lifetime`, and nothing is kept while the listener is down
/// (`AnnouncedCache`).
public final class FiguresCache: AnnouncedInvalidation {
    /// What a figures read asked for, whoever asked: the answer depends on nothing else.
    struct Key: Hashable, Sendable {
        var province: Int64
        var phaseCode: String
        var year: Int?
        /// The units the answer starts from (sorted), and how far down it goes.
        var roots: [Int64]
        var depth: Int
        var indicatorCode: String?
    }

    /// The longest an entry is kept, announcements or not.
    public let lifetime: Duration
    private let entries: AnnouncedCache<Key, [UInt8]>
    /// The same answers as figures, for the pages (which render them in HTML), under the same
    /// keys and announcements.
    private let lists: AnnouncedCache<Key, [ProgressFigure]>

    /// The channel changes are announced on.
    public static let channel = "chitieu_figures"

    /// A cache of answers of at most `bytes` together, each kept at most `lifetime` (an answer
    /// larger than a sixteenth of that, a whole province's communes say, is not kept).
    public init(lifetime: Duration = .seconds(300), bytes: Int = 64 << 20) {
        self.lifetime = lifetime
        self.entries = AnnouncedCache(capacity: bytes)
        self.lists = AnnouncedCache(capacity: bytes)
    }

    func answer(_ key: Key) -> [UInt8]? {
        entries.value(for: key)
    }

    func ticket(province: Int64) -> AnnouncedCache<Key, [UInt8]>.Ticket? {
        entries.ticket(province: province)
    }

    func store(_ answer: [UInt8], for key: Key, ticket: AnnouncedCache<Key, [UInt8]>.Ticket) {
        // Kept at its own size (the writer reserved more), and counted with its key.
        let kept = answer.withUnsafeBufferPointer { Array($0) }
        let cost = kept.capacity + 128 + 8 * key.roots.count + key.phaseCode.utf8.count + (key.indicatorCode?.utf8.count ?? 0)
        entries.store(kept, for: key, until: Date().addingTimeInterval(Double(lifetime.components.seconds)), ticket: ticket, cost: cost)
    }

    func figures(_ key: Key) -> [ProgressFigure]? {
        lists.value(for: key)
    }

    func figuresTicket(province: Int64) -> AnnouncedCache<Key, [ProgressFigure]>.Ticket? {
        lists.ticket(province: province)
    }

    func store(_ figures: [ProgressFigure], for key: Key, ticket: AnnouncedCache<Key, [ProgressFigure]>.Ticket) {
        // A figure's fields and its strings, roughly (the names are short).
        let cost = 128 + 8 * key.roots.count + figures.reduce(0) {
            $0 + MemoryLayout<ProgressFigure>.stride + $1.indicatorName.utf8.count + $1.unitName.utf8.count + $1.measureUnit.utf8.count + 48
        }
        lists.store(figures, for: key, until: Date().addingTimeInterval(Double(lifetime.components.seconds)), ticket: ticket, cost: cost)
    }

    public func invalidate(province: Int64) {
        entries.invalidate(province: province)
        lists.invalidate(province: province)
    }

    public func invalidateAll() {
        entries.invalidateAll()
        lists.invalidateAll()
    }

    public func update(link: PostgresListener.Link) {
        entries.update(link: link)
        lists.update(link: link)
    }

    /// How many answers are kept (for tests): written ones and figure lists.
    public var count: Int { entries.count + lists.count }

    /// Their size together, in bytes.
    public var bytes: Int { entries.cost + lists.cost }
}
