import CLibPQ
import Foundation
import Synchronization
public import Logging

/// A notification from `NOTIFY channel, 'payload'`.
public struct PostgresNotification: Sendable, Equatable {
    /// The channel it was sent on.
    public var channel: String
    /// The payload (empty when none was given).
    public var payload: String
    /// The server process that sent it.
    public var senderPID: Int32
}

/// Listens on channels over a dedicated connection and delivers notifications as an async
/// stream. It waits on the socket with `poll` on its own thread (never the cooperative pool),
/// and reconnects and listens again by itself if the connection breaks.
public final class PostgresListener: Sendable {
    /// Notifications as they arrive.
    public let notifications: AsyncStream<PostgresNotification>
    private let continuation: AsyncStream<PostgresNotification>.Continuation
    private let configuration: PostgresConfiguration
    private let channels: [String]
    private let logger: Logger
    private let stopped = Mutex(false)
    private let started = DispatchSemaphore(value: 0)
    private let startError = Mutex<PostgresError?>(nil)
    private let link = Mutex(Link(isConnected: false, generation: 0))

    /// The state of the listening connection. Notifications sent while it is down are lost,
    /// so what was learnt before a new `generation` may be stale.
    public struct Link: Sendable, Equatable {
        /// Whether the connection is up and listening.
        public var isConnected: Bool
        /// How many times it has connected and listened (1 after the start), plus how many
        /// times notifications were lost because the reader fell behind.
        public var generation: Int

        /// A state.
        public init(isConnected: Bool, generation: Int) {
            self.isConnected = isConnected
            self.generation = generation
        }
    }

    /// The listening connection's state now.
    public var state: Link { link.withLock { $0 } }

    private init(configuration: PostgresConfiguration, channels: [String], logger: Logger) {
        self.configuration = configuration
        self.channels = channels
        self.logger = logger
        (notifications, continuation) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(10_000))
    }

    /// Connects, runs `LISTEN` on each channel, and starts delivering on a thread of its own.
    /// Throws if the first connection fails; later failures are retried in the background.
    public static func start(configuration: PostgresConfiguration, channels: [String], logger: Logger) async throws -> PostgresListener {
        let listener = PostgresListener(configuration: configuration, channels: channels, logger: logger)
        let thread = Thread { listener.loop() }
        thread.name = "chitieu.postgres.listener"
        thread.start()
        let semaphore = listener.started
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            DispatchQueue.global().async {
                semaphore.wait()
                done.resume()
            }
        }
        if let error = listener.startError.withLock({ $0 }) {
            listener.stop()
            throw error
        }
        return listener
    }

    /// Stops listening and ends the stream; the thread exits within a quarter second.
    public func stop() {
        stopped.withLock { $0 = true }
    }

    private var isStopped: Bool { stopped.withLock { $0 } }

    private func connectAndListen() -> OpaquePointer? {
        // With TCP keepalives (see `parameters`): a connection that died without a word is noticed
        // within about 25 s, so what listens on it knows it may have missed notifications.
        let (keys, values) = PostgresConnection.parameters(configuration, applicationName: configuration.applicationName + "-listener")
        let handle: OpaquePointer? = withCStrings(keys) { k in withCStrings(values) { v in PQconnectdbParams(k, v, 1) } }
        if let handle { PostgresConnection.silenceNotices(handle) }
        guard let handle, PQstatus(handle) == CONNECTION_OK else {
            let message = handle.map { String(cString: PQerrorMessage($0)) } ?? "out of memory"
            if let handle { PQfinish(handle) }
            startError.withLock { if $0 == nil { $0 = PostgresError(code: .connectionFailed, message: "the listener could not connect: \(message)") } }
            return nil
        }
        for channel in channels {
            let result = PQexec(handle, "LISTEN " + PostgresQuery.quoteIdentifier(channel))
            defer { PQclear(result) }
            if PQresultStatus(result) != PGRES_COMMAND_OK {
                let error = PostgresConnection.makeError(result, handle, sql: "LISTEN")
                startError.withLock { if $0 == nil { $0 = error } }
                PQfinish(handle)
                return nil
            }
        }
        startError.withLock { $0 = nil }
        link.withLock { $0 = Link(isConnected: true, generation: $0.generation + 1) }
        return handle
    }

    private func loop() {
        var handle = connectAndListen()
        started.signal()
        var backoff = 0.1
        while !isStopped {
            guard let current = handle else {
                Thread.sleep(forTimeInterval: backoff)
                backoff = min(backoff * 2, 5)
                handle = connectAndListen()
                if handle != nil { logger.info("The listener reconnected to the database.") }
                continue
            }
            backoff = 0.1
            var descriptor = pollfd(fd: PQsocket(current), events: Int16(POLLIN), revents: 0)
            let ready = poll(&descriptor, 1, 250)
            if ready < 0 { continue }
            if PQconsumeInput(current) == 0 || PQstatus(current) != CONNECTION_OK {
                logger.warning("The listener lost its database connection; reconnecting.")
                link.withLock { $0.isConnected = false }
                PQfinish(current)
                handle = nil
                continue
            }
            while let raw = PQnotifies(current) {
                let note = raw.pointee
                let delivered = continuation.yield(
                    PostgresNotification(
                        channel: String(cString: note.relname), payload: String(cString: note.extra), senderPID: note.be_pid))
                PQfreemem(raw)
                // A reader too slow to keep up lost the oldest notifications: to those who keep
                // what they were told, that is a new generation, as after a reconnection.
                if case .dropped = delivered {
                    link.withLock { $0.generation += 1 }
                }
            }
        }
        if let handle { PQfinish(handle) }
        link.withLock { $0.isConnected = false }
        continuation.finish()
    }
}

extension PostgresConnection {
    /// Sends a notification (`pg_notify`) on a channel; delivered when the transaction commits.
    public func notify(channel: String, payload: String = "") async throws {
        try await query("SELECT pg_notify(\(channel), \(payload))")
    }
}
