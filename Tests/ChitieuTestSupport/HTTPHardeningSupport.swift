package import ChitieuServer
package import ChitieuStore
package import ChitieuTesting
package import Foundation
package import Hummingbird
package import Logging
package import Postgres

#if canImport(Glibc)
package import Glibc
#endif

/// A TCP connection to a test server driven byte by byte, to send what no HTTP client sends:
/// broken framing, a head or a body a byte at a time, nothing at all. Its calls block: they run
/// off the cooperative pool, each on a thread of its own.
package final class RawConnection: Sendable {
    package let descriptor: Int32

    private init(descriptor: Int32) { self.descriptor = descriptor }

    /// Connects to 127.0.0.1:`port`.
    package static func open(port: Int) async throws -> RawConnection {
        try await blocking {
            // Not inherited by the processes other tests start, so that closing it closes the connection.
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard connected == 0 else {
                Glibc.close(fd)
                throw POSIXError(.ECONNREFUSED)
            }
            return RawConnection(descriptor: fd)
        }
    }

    /// Sends bytes; false when the server has closed the connection.
    @discardableResult
    package func send(_ text: String) async -> Bool {
        let bytes = Array(text.utf8)
        return (try? await Self.blocking { bytes.withUnsafeBytes { Glibc.send(self.descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) } == bytes.count }) ?? false
    }

    /// What the server sends until it closes the connection or `timeout` passes, and whether it closed it.
    package func receive(for timeout: Duration) async -> (text: String, closed: Bool) {
        (try? await Self.blocking {
            let deadline = ContinuousClock.now + timeout
            var received: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 65536)
            while ContinuousClock.now < deadline {
                let left = deadline - ContinuousClock.now
                var descriptor = pollfd(fd: self.descriptor, events: Int16(POLLIN), revents: 0)
                let ready = poll(&descriptor, 1, Int32(max(1, left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000)))
                if ready <= 0 { continue }
                let n = recv(self.descriptor, &buffer, buffer.count, 0)
                if n <= 0 { return (String(decoding: received, as: UTF8.self), true) }
                received += buffer[0..<n]
            }
            return (String(decoding: received, as: UTF8.self), false)
        }) ?? ("", true)
    }

    /// Sends `request` on a new connection to `port`, closed after, and returns what came back
    /// within `timeout`.
    package static func exchange(port: Int, _ request: String, waiting timeout: Duration) async throws -> String {
        let connection = try await open(port: port)
        defer { connection.close() }
        await connection.send(request)
        return await connection.receive(for: timeout).text
    }

    /// The status of the first answer in `text` (0 when there is none).
    package static func status(_ text: String) -> Int {
        Int(text.split(separator: " ", maxSplits: 2).dropFirst().first ?? "") ?? 0
    }

    package func close() {
        Glibc.close(descriptor)
    }

    /// Runs `work` on a thread of its own: the waits last seconds, and tests running in parallel
    /// must not take the few threads of the global dispatch queues from each other.
    package static func blocking<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try work() }) }.start()
        }
    }
}

/// The daemon's application over `world` with its own pool and server settings.
package func makeApplication(
    _ world: AccessWorld, pool: PostgresPool, configuration: ServerConfiguration, logs: CapturedLogs = CapturedLogs()
) throws -> some ApplicationProtocol {
    var configuration = configuration
    configuration.host = "127.0.0.1"
    configuration.port = 0
    configuration.passwordParameters = testPasswordParameters
    return ChitieuApplication.make(
        configuration: configuration, database: ChitieuDatabase(pool: pool),
        migrations: try MigrationSet.load(from: try TestDatabase.sqlDirectory()), logger: logs.logger())
}

/// The process ids of a test cluster's server: the postmaster and its children.
package func serverProcesses(of cluster: TestCluster) throws -> [pid_t] {
    guard let data = cluster.dataDirectory,
          let text = try? String(contentsOfFile: data + "/postmaster.pid", encoding: .utf8),
          let postmaster = pid_t(text.split(separator: "\n").first ?? "")
    else { throw TestHarnessError("the cluster has no postmaster.pid") }
    var processes = [postmaster]
    for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
        guard let pid = pid_t(entry), let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8) else { continue }
        // pid (comm) state ppid …: the fields after the last ')'.
        guard let close = stat.lastIndex(of: ")") else { continue }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        if fields.count > 1, pid_t(fields[1]) == postmaster { processes.append(pid) }
    }
    return processes
}
