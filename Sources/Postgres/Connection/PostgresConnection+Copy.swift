import CLibPQ

/// Writes rows of a `COPY … FROM STDIN` in PostgreSQL's text format, buffering them.
public struct PostgresCopyWriter: ~Copyable {
    let handle: OpaquePointer
    var buffer: [UInt8] = []
    var rows = 0
    private static let flushSize = 1 << 16

    init(handle: OpaquePointer) {
        self.handle = handle
        buffer.reserveCapacity(Self.flushSize + 4096)
    }

    /// Appends one row; nil is NULL. Tabs, newlines and backslashes in values are escaped.
    public mutating func appendRow(_ values: [String?]) throws {
        for (i, value) in values.enumerated() {
            if i > 0 { buffer.append(9) }
            guard let value else {
                buffer.append(92)
                buffer.append(78)
                continue
            }
            let utf8 = value.utf8
            if !utf8.contains(where: { $0 == 92 || $0 == 9 || $0 == 10 || $0 == 13 }) {
                buffer.append(contentsOf: utf8)
                continue
            }
            for byte in utf8 {
                switch byte {
                case 92: buffer.append(92); buffer.append(92)
                case 9: buffer.append(92); buffer.append(116)
                case 10: buffer.append(92); buffer.append(110)
                case 13: buffer.append(92); buffer.append(114)
                default: buffer.append(byte)
                }
            }
        }
        buffer.append(10)
        rows += 1
        if buffer.count >= Self.flushSize { try flush() }
    }

    /// Appends bytes already in COPY's format (whole lines), e.g. read from a file.
    public mutating func appendRaw(_ bytes: some Sequence<UInt8>) throws {
        buffer.append(contentsOf: bytes)
        if buffer.count >= Self.flushSize { try flush() }
    }

    mutating func flush() throws {
        guard !buffer.isEmpty else { return }
        let status = buffer.withUnsafeBufferPointer { pointer in
            pointer.withMemoryRebound(to: CChar.self) {
                PQputCopyData(handle, $0.baseAddress, Int32($0.count))
            }
        }
        guard status == 1 else {
            throw PostgresError(code: .copyFailed, message: "COPY could not send data: \(String(cString: PQerrorMessage(handle)))")
        }
        buffer.removeAll(keepingCapacity: true)
    }
}

extension PostgresConnection {
    /// Runs `COPY … FROM STDIN` (text format) and feeds it the rows that `produce` writes.
    /// `produce` runs on the connection's own thread. Returns the number of rows loaded.
    /// If `produce` throws, the COPY is aborted and nothing is loaded.
    @discardableResult
    public func copyFrom(
        _ sql: String, _ produce: @escaping @Sendable (inout PostgresCopyWriter) throws -> Void
    ) async throws -> Int {
        PostgresRoundTrips.record()
        return try await withHandle { handle in
            let start = PQexec(handle, sql)
            let status = PQresultStatus(start)
            if status != PGRES_COPY_IN {
                defer { PQclear(start) }
                try Self.check(start, handle, sql: sql)
                throw PostgresError(code: .unexpectedResult, message: "the statement is not a COPY FROM STDIN", query: sql)
            }
            PQclear(start)
            var writer = PostgresCopyWriter(handle: handle)
            var failure: (any Error)?
            do {
                try produce(&writer)
                try writer.flush()
            } catch {
                failure = error
            }
            let reason = failure.map { "aborted by the client: \($0)" }
            let ended: Int32 =
                if let reason { PQputCopyEnd(handle, reason) } else { PQputCopyEnd(handle, nil) }
            var finalError: (any Error)? = failure
            var count = 0
            while let result = PQgetResult(handle) {
                defer { PQclear(result) }
                if finalError == nil {
                    do {
                        try Self.check(result, handle, sql: sql)
                        count = Int(String(cString: PQcmdTuples(result))) ?? writer.rows
                    } catch {
                        finalError = error
                    }
                }
            }
            if ended != 1, finalError == nil {
                finalError = PostgresError(code: .copyFailed, message: String(cString: PQerrorMessage(handle)), query: sql)
            }
            if let finalError { throw finalError }
            return count
        }
    }
}
