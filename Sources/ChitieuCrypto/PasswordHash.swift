/// A password hashed with scrypt: the parameters and the salt are kept beside the hash, so the
/// cost can be raised later without invalidating existing passwords.
public struct PasswordHash: Sendable, Hashable {
    /// The scrypt parameters used.
    public var parameters: Scrypt.Parameters
    /// A random salt of 16 bytes, one per account.
    public var salt: [UInt8]
    /// The derived key.
    public var hash: [UInt8]

    /// A stored hash.
    public init(parameters: Scrypt.Parameters, salt: [UInt8], hash: [UInt8]) {
        self.parameters = parameters
        self.salt = salt
        self.hash = hash
    }

    /// Hashes a password with a fresh salt. The password is used as given (callers normalize
    /// it to NFC first, so the same password typed on any keyboard matches).
    public static func make(password: String, parameters: Scrypt.Parameters = .standard) async throws -> PasswordHash {
        let salt = try SecureRandom.bytes(16)
        let hash = try await Scrypt.deriveAsync(password: Array(password.utf8), salt: salt, parameters: parameters)
        return PasswordHash(parameters: parameters, salt: salt, hash: hash)
    }

    /// Whether `password` is the one hashed, compared in constant time.
    public func verify(password: String) async throws -> Bool {
        let candidate = try await Scrypt.deriveAsync(password: Array(password.utf8), salt: salt, parameters: parameters)
        return constantTimeEqual(candidate, hash)
    }

    /// Spends the same effort as a verification, for logins of unknown accounts, so the answer's
    /// timing does not tell whether a username exists.
    public static func verifyNothing(parameters: Scrypt.Parameters = .standard) async {
        _ = try? await Scrypt.deriveAsync(password: Array("-".utf8), salt: Array(repeating: 0, count: 16), parameters: parameters)
    }

    /// The parameters as stored (JSON).
    public var parametersJSON: String {
        #"{"n":\#(parameters.n),"r":\#(parameters.r),"p":\#(parameters.p),"length":\#(parameters.length)}"#
    }
}
