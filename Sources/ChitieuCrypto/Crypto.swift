import CCrypto
import Dispatch

/// A failure of the system's cryptography library.
public struct CryptoError: Error, CustomStringConvertible, Sendable {
    /// What failed, with OpenSSL's own reason when it gave one.
    public var description: String

    init(_ operation: String) {
        let code = ERR_get_error()
        if code != 0 {
            var buffer = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &buffer, buffer.count)
            let reason = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            description = "\(operation) failed: \(reason)"
        } else {
            description = "\(operation) failed"
        }
    }
}

/// Random bytes from OpenSSL's cryptographically secure generator.
public enum SecureRandom {
    /// `count` random bytes.
    public static func bytes(_ count: Int) throws -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        guard RAND_bytes(&bytes, Int32(count)) == 1 else { throw CryptoError("RAND_bytes") }
        return bytes
    }
}

/// SHA-256 digests.
public enum SHA256 {
    /// The 32-byte digest of `bytes`.
    public static func hash(_ bytes: some Collection<UInt8>) -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        let input = Array(bytes)
        let ok = input.withUnsafeBytes { raw in
            EVP_Digest(raw.baseAddress, raw.count, &digest, &length, EVP_sha256(), nil)
        }
        precondition(ok == 1 && length == 32, "EVP_Digest(SHA-256) cannot fail on a valid input")
        return digest
    }
}

/// Compares two byte strings in time that depends only on their length.
public func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    guard a.count == b.count else { return false }
    if a.isEmpty { return true }
    return a.withUnsafeBytes { x in b.withUnsafeBytes { y in CRYPTO_memcmp(x.baseAddress, y.baseAddress, a.count) == 0 } }
}

/// The scrypt key-derivation function (RFC 7914), as OpenSSL implements it.
public enum Scrypt {
    /// Cost parameters, stored beside every hash so they can be raised later.
    public struct Parameters: Sendable, Hashable, Codable {
        /// CPU/memory cost, a power of two.
        public var n: UInt64
        /// Block size.
        public var r: UInt64
        /// Parallelism.
        public var p: UInt64
        /// Length of the derived key in bytes.
        public var length: Int

        /// Parameters as given.
        public init(n: UInt64, r: UInt64, p: UInt64, length: Int = 32) {
            self.n = n
            self.r = r
            self.p = p
            self.length = length
        }

        /// The parameters new passwords are hashed with: N = 2^15, r = 8, p = 1 (32 MiB, tens of
        /// milliseconds on one core).
        public static let standard = Parameters(n: 1 << 15, r: 8, p: 1)

        /// Whether these parameters are acceptable to derive with: N a power of two, and memory and
        /// work within bounds (so a tampered row cannot make a login allocate gigabytes).
        public var isValid: Bool {
            n >= 2 && n & (n - 1) == 0 && n <= 1 << 22 && (1...32).contains(r) && (1...16).contains(p)
                && (16...64).contains(length)
        }

        /// Memory the derivation needs, with headroom.
        var memoryBound: UInt64 { 128 * r * (n + p + 2) + (1 << 20) }
    }

    /// Derives a key from a password and salt. Runs synchronously: call it off the cooperative pool.
    public static func derive(password: [UInt8], salt: [UInt8], parameters: Parameters) throws -> [UInt8] {
        guard parameters.isValid else { throw CryptoError("scrypt parameters") }
        var key = [UInt8](repeating: 0, count: parameters.length)
        let ok = password.withUnsafeBytes { pass in
            salt.withUnsafeBytes { saltBytes in
                EVP_PBE_scrypt(
                    pass.baseAddress?.assumingMemoryBound(to: CChar.self), pass.count,
                    saltBytes.baseAddress?.assumingMemoryBound(to: UInt8.self), saltBytes.count,
                    parameters.n, parameters.r, parameters.p, parameters.memoryBound, &key, key.count)
            }
        }
        guard ok == 1 else { throw CryptoError("EVP_PBE_scrypt") }
        return key
    }

    /// Derives on a queue of its own, so a login's tens of milliseconds of CPU do not hold a
    /// thread of Swift's cooperative pool.
    public static func deriveAsync(password: [UInt8], salt: [UInt8], parameters: Parameters) async throws -> [UInt8] {
        try await withCheckedThrowingContinuation { continuation in
            queue.async {
                continuation.resume(with: Result { try derive(password: password, salt: salt, parameters: parameters) })
            }
        }
    }

    private static let queue = DispatchQueue(label: "chitieu.scrypt", qos: .userInitiated, attributes: .concurrent)
}

/// Base64url without padding (RFC 4648 §5), for tokens.
public enum Base64URL {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    /// Encodes bytes.
    public static func encode(_ bytes: [UInt8]) -> String {
        var out = [UInt8]()
        out.reserveCapacity((bytes.count * 4 + 2) / 3)
        var index = 0
        while index + 3 <= bytes.count {
            let value = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8 | UInt32(bytes[index + 2])
            out += [alphabet[Int(value >> 18 & 63)], alphabet[Int(value >> 12 & 63)], alphabet[Int(value >> 6 & 63)], alphabet[Int(value & 63)]]
            index += 3
        }
        let rest = bytes.count - index
        if rest == 1 {
            let value = UInt32(bytes[index]) << 16
            out += [alphabet[Int(value >> 18 & 63)], alphabet[Int(value >> 12 & 63)]]
        } else if rest == 2 {
            let value = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8
            out += [alphabet[Int(value >> 18 & 63)], alphabet[Int(value >> 12 & 63)], alphabet[Int(value >> 6 & 63)]]
        }
        return String(decoding: out, as: UTF8.self)
    }
}
