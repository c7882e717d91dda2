public import ChitieuStore
public import Logging
public import Postgres
public import ServiceLifecycle
import Synchronization

/// Keeps the daemon's caches honest (kept tokens, kept figures): listens on their channels with
/// one connection and, on a notification, reads the announcement epochs with another
/// (`AnnouncedEpochs`) and drops the entries of the provinces whose epoch moved. A notification
/// anyone sends moves no epoch, so it drops nothing. The caches are told the listener is
/// connected only once the epochs of that connection are read (while it is not, or until it has
/// first connected, nothing is kept).
public struct CacheInvalidationService: Service {
    let caches: [any AnnouncedInvalidation]
    let configuration: PostgresConfiguration
    let logger: Logger

    /// A service for `caches`, listening and reading with connections of its own made from `configuration`.
    public init(caches: [any AnnouncedInvalidation], configuration: PostgresConfiguration, logger: Logger) {
        self.caches = caches
        self.configuration = configuration
        self.logger = logger
    }

    public func run() async throws {
        let channels = caches.map { type(of: $0).channel }
        var listener: PostgresListener?
        // The database may be down when the daemon starts: keep trying, caching nothing meanwhile.
        while listener == nil && !(Task.isCancelled || Task.isShuttingDownGracefully) {
            do {
                listener = try await PostgresListener.start(configuration: configuration, channels: channels, logger: logger)
            } catch {
                logger.warning("Nothing will be kept in memory until the listener connects.", metadata: ["error": "\(error)"])
                try? await Task.sleep(for: .seconds(2))
            }
        }
        guard let listener else { return }
        // Wake-ups of the loop below (a notification or the next look at the link), collapsed;
        // `announced` remembers that a notification came.
        let (wakes, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        let announced = Announced()
        await withGracefulShutdownHandler {
            await withDiscardingTaskGroup { group in
                group.addTask {
                    for await notification in listener.notifications where channels.contains(notification.channel) {
                        announced.flag.withLock { $0 = true }
                        wake.yield()
                    }
                }
                // The link's state, often enough that a reconnection empties the caches at once.
                group.addTask {
                    while !(Task.isCancelled || Task.isShuttingDownGracefully) {
                        wake.yield()
                        try? await Task.sleep(for: .milliseconds(50))
                    }
                    wake.finish()
                }
                var loop = Loop(caches: caches, channels: channels, configuration: configuration, logger: logger)
                for await _ in wakes {
                    await loop.step(link: listener.state, announced: announced.flag.withLock { flag in
                        defer { flag = false }
                        return flag
                    })
                }
                listener.stop()
                await loop.stop()
            }
        } onGracefulShutdown: {
            listener.stop()
            wake.finish()
        }
    }

    /// Whether a notification came since the loop last looked.
    final class Announced: Sendable {
        let flag = Mutex(false)
    }

    /// The service's state between wake-ups: the epochs last read, on which connection of the
    /// listener, and the generation the caches were last told.
    struct Loop {
        let caches: [any AnnouncedInvalidation]
        let channels: [String]
        let configuration: PostgresConfiguration
        let logger: Logger
        var reader: PostgresConnection?
        var epochs = AnnouncedEpochs()
        /// The listener's generation whose epochs were read (nil: none, nothing may be kept).
        var verified: Int?
        /// What the caches see as the generation: it moves with every new reading of the epochs,
        /// so an answer asked for before one is never kept after it.
        var generation = 0
        var retryAt = ContinuousClock.now

        mutating func step(link: PostgresListener.Link, announced: Bool) async {
            if !link.isConnected {
                verified = nil
            } else if verified != link.generation {
                // A new listening connection: what was announced before it is in the epochs read now.
                guard ContinuousClock.now >= retryAt, let read = await read() else { return tell(link) }
                epochs = AnnouncedEpochs(read)
                verified = link.generation
                generation += 1
            } else if announced {
                guard let read = await read() else {
                    verified = nil
                    return tell(link)
                }
                for key in epochs.changes(read) {
                    for cache in caches where type(of: cache).channel == key.channel { cache.invalidate(province: key.province) }
                }
            }
            tell(link)
        }

        func tell(_ link: PostgresListener.Link) {
            let state = PostgresListener.Link(isConnected: link.isConnected && verified == link.generation, generation: generation)
            for cache in caches { cache.update(link: state) }
        }

        /// The epochs now, or nil when they cannot be read (then tried again in a second).
        mutating func read() async -> [AnnouncedEpochs.Key: Int64]? {
            do {
                if reader == nil { reader = try await PostgresConnection.connect(configuration, logger: logger) }
                return try await AnnouncedEpochs.read(channels: channels, on: reader!)
            } catch {
                logger.warning("Nothing will be kept in memory until the announcements can be read.", metadata: ["error": "\(error)"])
                await reader?.close()
                reader = nil
                retryAt = ContinuousClock.now.advanced(by: .seconds(1))
                return nil
            }
        }

        mutating func stop() async {
            verified = nil
            for cache in caches { cache.update(link: .init(isConnected: false, generation: generation)) }
            await reader?.close()
            reader = nil
        }
    }
}
