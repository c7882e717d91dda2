import ChitieuCrypto
import ChitieuDomain
public import Foundation
import Postgres

/// A file uploaded to the import page and kept from its dry run to the officer's confirmation,
/// so that the confirmation imports the very bytes that were checked (the form carries only the
/// id). Only the account that uploaded it reads it back, for an hour.
public struct ImportUpload: Sendable, Hashable {
    public var id: UUID
    public var kind: ImportKind
    /// The phase of a targets file.
    public var phase: String?
    public var filename: String
    /// SHA-256 of the bytes.
    public var digest: Data
    public var bytes: Data
    public var createdAt: Date

    /// How long an upload is kept.
    public static let lifetimeSeconds = 3600
}

extension ImportStore {
    /// Keeps an uploaded file for its confirmation; uploads of the province older than an hour
    /// are deleted on the way.
    public func keep(
        province: Int64, kind: ImportKind, phase: String?, filename: String, file: Data, caller: Caller
    ) async throws -> ImportUpload {
        guard let account = caller.account else { throw ChitieuError(.forbidden, "only an officer's account uploads files to the pages") }
        let digest = Data(SHA256.hash(file))
        let name = String(filename.precomposedStringWithCanonicalMapping.prefix(200))
        return try await database.withTenant(province) { tx in
            try await Access.require(caller, .read, tx: tx)
            let lifetime = ImportUpload.lifetimeSeconds
            try await tx.query(
                """
                DELETE FROM chitieu.import_upload
                WHERE province_id = \(tx.provinceID) AND created_at < now() - make_interval(secs => \(lifetime))
                """)
            let row = try await tx.query(
                """
                INSERT INTO chitieu.import_upload (province_id, account_id, kind, phase, filename, digest, bytes)
                VALUES (\(tx.provinceID), \(account.id), \(kind.rawValue), \(phase), \(name), \(digest), \(file))
                RETURNING upload_id, created_at
                """)[0]
            return ImportUpload(
                id: try row.decode(UUID.self, at: 0), kind: kind, phase: phase, filename: name, digest: digest, bytes: file,
                createdAt: try row.decode(Date.self, at: 1))
        }
    }

    /// A kept upload of the caller's account; another account's, another province's or an
    /// expired one is not found.
    public func upload(province: Int64, id: UUID, caller: Caller) async throws -> ImportUpload {
        guard let account = caller.account else { throw ChitieuError.notFound("the upload") }
        return try await database.withTenant(province) { tx in
            try await Access.require(caller, .read, tx: tx)
            let lifetime = ImportUpload.lifetimeSeconds
            let rows = try await tx.query(
                """
                SELECT kind, phase, filename, digest, bytes, created_at FROM chitieu.import_upload
                WHERE province_id = \(tx.provinceID) AND upload_id = \(id) AND account_id = \(account.id)
                  AND created_at >= now() - make_interval(secs => \(lifetime))
                """)
            guard let row = rows.first, let kind = ImportKind(rawValue: try row.decode(String.self, at: 0)) else {
                throw ChitieuError.notFound("the upload")
            }
            let bytes = try row.decode(Data.self, at: 4)
            let digest = try row.decode(Data.self, at: 3)
            guard Data(SHA256.hash(bytes)) == digest else { throw ChitieuError.notFound("the upload") }
            return ImportUpload(
                id: id, kind: kind, phase: try row.decode(String?.self, at: 1), filename: try row.decode(String.self, at: 2), digest: digest,
                bytes: bytes, createdAt: try row.decode(Date.self, at: 5))
        }
    }
}

extension ImportColumn {
    /// The Vietnamese title of a column key (`value`: Giá trị; `breakdown.sex.nữ`: Giới tính: nữ; `breakdown.sex`, a
    /// dimension as a whole: Phân tổ theo giới tính), nil for another field.
    public static func title(of key: String) -> String? {
        if let column = titled.first(where: { $0.key == key }) { return column.title }
        let parts = key.split(separator: ".", maxSplits: 2).map(String.init)
        guard let first = parts.first, first == "breakdown" || first == "companion_breakdown" else { return nil }
        guard parts.count == 3 else {
            return (first == "breakdown" ? "Phân tổ" : "Đi kèm – phân tổ") + (parts.count == 2 ? " theo \(BreakdownDimension.label(parts[1]).lowercased())" : "")
        }
        return category(parts[1], parts[2], companion: first == "companion_breakdown").title
    }
}
