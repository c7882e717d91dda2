public import ChitieuStore
public import Logging
public import Postgres
public import ServiceLifecycle

/// Keeps the daemon's caches honest (kept tokens, kept figures): listens on their channels with
/// one connection, drops a province's entries when a change is announced, and tells the caches
/// whether the listener is connected (while it is not, or until it has first connected,
/// nothing is kept).
public struct CacheInvalidationService: Service {
    let caches: [any AnnouncedInvalidation]
    let configuration: PostgresConfiguration
    let logger: Logger

    /// A service for `caches`, listening with a connection of its own made from `configuration`.
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
        await withGracefulShutdownHandler {
            await withDiscardingTaskGroup { group in
                group.addTask {
                    for await notification in listener.notifications {
                        for cache in caches where type(of: cache).channel == notification.channel {
                            if let province = Int64(notification.payload) {
                                cache.invalidate(province: province)
                            } else {
                                cache.invalidateAll()
                            }
                        }
                    }
                }
                // The link's state, often enough that a reconnection empties the caches at once.
                while !(Task.isCancelled || Task.isShuttingDownGracefully) {
                    let link = listener.state
                    for cache in caches { cache.update(link: link) }
                    try? await Task.sleep(for: .milliseconds(50))
                }
                listener.stop()
                for cache in caches { cache.update(link: .init(isConnected: false, generation: listener.state.generation)) }
            }
        } onGracefulShutdown: {
            listener.stop()
        }
    }
}
