public import ChitieuStore
public import Logging
public import Postgres
public import ServiceLifecycle

/// Keeps the daemon's `TokenCache` honest: listens on `chitieu_auth` and drops a province's
/// tokens when a change is announced, and tells the cache whether the listener is connected
/// (while it is not, or until it has first connected, nothing is kept).
public struct TokenCacheService: Service {
    let cache: TokenCache
    let configuration: PostgresConfiguration
    let logger: Logger

    /// A service for `cache`, listening with a connection of its own made from `configuration`.
    public init(cache: TokenCache, configuration: PostgresConfiguration, logger: Logger) {
        self.cache = cache
        self.configuration = configuration
        self.logger = logger
    }

    public func run() async throws {
        var listener: PostgresListener?
        // The database may be down when the daemon starts: keep trying, caching nothing meanwhile.
        while listener == nil && !(Task.isCancelled || Task.isShuttingDownGracefully) {
            do {
                listener = try await PostgresListener.start(configuration: configuration, channels: [TokenCache.channel], logger: logger)
            } catch {
                logger.warning("Bearer tokens will be checked in the database until the listener connects.", metadata: ["error": "\(error)"])
                try? await Task.sleep(for: .seconds(2))
            }
        }
        guard let listener else { return }
        await withGracefulShutdownHandler {
            await withDiscardingTaskGroup { group in
                group.addTask {
                    for await notification in listener.notifications {
                        if let province = Int64(notification.payload) {
                            cache.invalidate(province: province)
                        } else {
                            cache.invalidateAll()
                        }
                    }
                }
                // The link's state, often enough that a reconnection empties the cache at once.
                while !(Task.isCancelled || Task.isShuttingDownGracefully) {
                    cache.update(link: listener.state)
                    try? await Task.sleep(for: .milliseconds(50))
                }
                listener.stop()
                cache.update(link: .init(isConnected: false, generation: listener.state.generation))
            }
        } onGracefulShutdown: {
            listener.stop()
        }
    }
}
