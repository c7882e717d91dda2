import ChitieuStore
import ChitieuTestSupport
import Foundation
import Postgres
import Testing

/// The rules every kept answer follows, without a database: what may be kept, for how long,
/// and what an announcement or a lost listener drops.
@Suite("Answers kept while their changes are announced")
struct AnnouncedCacheTests {
    /// Far enough ahead that no entry expires during a test, however stalled the machine.
    let later = Date().addingTimeInterval(86_400)

    func connected(capacity: Int, generation: Int = 1) -> AnnouncedCache<String, [UInt8]> {
        let cache = AnnouncedCache<String, [UInt8]>(capacity: capacity)
        cache.update(link: .init(isConnected: true, generation: generation))
        return cache
    }

    @Test func nothingIsKeptWithoutAConnectedListener() throws {
        let cache = AnnouncedCache<String, [UInt8]>(capacity: 100)
        #expect(cache.ticket(province: 1) == nil)
        cache.update(link: .init(isConnected: true, generation: 1))
        let ticket = try #require(cache.ticket(province: 1))
        cache.store([1], for: "a", until: later, ticket: ticket)
        #expect(cache.value(for: "a") == [1])
        // Down: everything goes, and nothing is answered from memory until it is back.
        cache.update(link: .init(isConnected: false, generation: 1))
        #expect(cache.value(for: "a") == nil && cache.count == 0)
        cache.store([1], for: "a", until: later, ticket: ticket)
        #expect(cache.count == 0)
        // Back with a new generation: a ticket from before it is refused.
        cache.update(link: .init(isConnected: true, generation: 2))
        cache.store([1], for: "a", until: later, ticket: ticket)
        #expect(cache.value(for: "a") == nil)
    }

    @Test func anAnnouncementDropsItsProvinceOnlyAndRefusesAnswersAskedBeforeIt() throws {
        let cache = connected(capacity: 100)
        cache.store([1], for: "p1", until: later, ticket: try #require(cache.ticket(province: 1)))
        cache.store([2], for: "p2", until: later, ticket: try #require(cache.ticket(province: 2)))
        let asked = try #require(cache.ticket(province: 1))
        cache.invalidate(province: 1)
        #expect(cache.value(for: "p1") == nil)
        #expect(cache.value(for: "p2") == [2])
        // Read before the change, stored after it: possibly the old figures, so not kept.
        cache.store([3], for: "p1", until: later, ticket: asked)
        #expect(cache.value(for: "p1") == nil)
        cache.store([4], for: "p1", until: later, ticket: try #require(cache.ticket(province: 1)))
        #expect(cache.value(for: "p1") == [4])
        // A change of unknown province drops everything.
        cache.invalidateAll()
        #expect(cache.count == 0 && cache.value(for: "p2") == nil)
    }

    @Test func entriesEndOnTimeAndTheirCostStaysWithinTheCapacity() throws {
        let cache = connected(capacity: 160)
        let ticket = try #require(cache.ticket(province: 1))
        cache.store([0], for: "old", until: Date().addingTimeInterval(-1), ticket: ticket)
        #expect(cache.value(for: "old") == nil && cache.cost == 0, "past its time")
        for n in 0..<16 {
            cache.store(Array(repeating: 0, count: 10), for: "k\(n)", until: later, ticket: ticket, cost: 10)
        }
        #expect(cache.count == 16 && cache.cost == 160)
        // Replacing an entry counts it once.
        cache.store(Array(repeating: 0, count: 10), for: "k0", until: later, ticket: ticket, cost: 10)
        #expect(cache.count == 16 && cache.cost == 160)
        // Full: with every entry still trusted, the cache starts afresh…
        cache.store([1], for: "more", until: later, ticket: ticket, cost: 1)
        #expect(cache.count == 1 && cache.cost == 1, "all trusted, so everything went")
        for n in 0..<15 {
            cache.store(Array(repeating: 0, count: 10), for: "k\(n)", until: later, ticket: ticket, cost: 10)
        }
        cache.store(Array(repeating: 0, count: 9), for: "p2", until: later, ticket: try #require(cache.ticket(province: 2)), cost: 9)
        #expect(cache.cost == 160)
        cache.invalidate(province: 2)
        cache.store([2], for: "again", until: later, ticket: ticket, cost: 2)
        // …but entries no longer trusted make room first: here province 2's answer, dropped by
        // an announcement and never asked for again.
        #expect(cache.count == 17 && cache.cost == 153, "the dropped answer of province 2 made room; the rest stayed")
        // When that is not enough, it starts afresh rather than growing.
        cache.store(Array(repeating: 0, count: 10), for: "last", until: later, ticket: ticket, cost: 10)
        #expect(cache.count == 1 && cache.cost == 10)
        // An answer larger than a sixteenth of the capacity is never kept.
        cache.store(Array(repeating: 0, count: 11), for: "large", until: later, ticket: ticket, cost: 11)
        #expect(cache.value(for: "large") == nil && cache.cost == 10)
    }

    @Test func onlyTheEpochsThatMovedCountAsChanges() {
        typealias Key = AnnouncedEpochs.Key
        let auth1 = Key(channel: "chitieu_auth", province: 1)
        let figures1 = Key(channel: "chitieu_figures", province: 1)
        let auth2 = Key(channel: "chitieu_auth", province: 2)
        var epochs = AnnouncedEpochs([auth1: 3, figures1: 1])
        // A notification with nothing behind it (anyone may send one): nothing changed.
        #expect(epochs.changes([auth1: 3, figures1: 1]).isEmpty)
        // One epoch moved, and a province announced its first change: those two, on their channel.
        #expect(Set(epochs.changes([auth1: 3, figures1: 2, auth2: 1])) == [figures1, auth2])
        // What was read last is what the next reading is compared with.
        #expect(epochs.changes([auth1: 3, figures1: 2, auth2: 1]).isEmpty)
        #expect(epochs.changes([auth1: 4, figures1: 2, auth2: 1]) == [auth1])
    }
}
