import ChitieuCrypto
import Testing

/// Lowercase hex of bytes.
private func hex(_ bytes: [UInt8]) -> String {
    let digits = Array("0123456789abcdef".utf8)
    var out = [UInt8]()
    for byte in bytes {
        out.append(digits[Int(byte >> 4)])
        out.append(digits[Int(byte & 15)])
    }
    return String(decoding: out, as: UTF8.self)
}

@Suite("Crypto")
struct CryptoTests {
    // MARK: SHA-256 (FIPS 180-2)

    @Test func sha256OfABC() {
        #expect(hex(SHA256.hash(Array("abc".utf8))) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test func sha256OfTheEmptyString() {
        #expect(hex(SHA256.hash([UInt8]())) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    // MARK: scrypt (RFC 7914 §12)

    @Test func scryptMatchesRFC7914() throws {
        let key = try Scrypt.derive(
            password: Array("password".utf8), salt: Array("NaCl".utf8),
            parameters: Scrypt.Parameters(n: 1024, r: 8, p: 16, length: 64))
        #expect(
            hex(key)
                == "fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b373162"
                + "2eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640")
    }

    @Test func scryptAsyncMatchesSync() async throws {
        let parameters = Scrypt.Parameters(n: 1024, r: 8, p: 1)
        let sync = try Scrypt.derive(password: Array("pw".utf8), salt: Array("salt".utf8), parameters: parameters)
        let async = try await Scrypt.deriveAsync(password: Array("pw".utf8), salt: Array("salt".utf8), parameters: parameters)
        #expect(sync == async)
        #expect(sync.count == 32)
    }

    @Test(arguments: [
        Scrypt.Parameters(n: 1000, r: 8, p: 1),  // not a power of two
        Scrypt.Parameters(n: 1 << 23, r: 8, p: 1),  // too much memory
        Scrypt.Parameters(n: 1, r: 8, p: 1),
        Scrypt.Parameters(n: 1024, r: 0, p: 1),
        Scrypt.Parameters(n: 1024, r: 8, p: 17),
        Scrypt.Parameters(n: 1024, r: 8, p: 1, length: 8),
    ])
    func invalidParametersThrow(parameters: Scrypt.Parameters) async throws {
        #expect(!parameters.isValid)
        #expect(throws: CryptoError.self) {
            try Scrypt.derive(password: Array("pw".utf8), salt: Array("salt".utf8), parameters: parameters)
        }
        await #expect(throws: CryptoError.self) {
            try await PasswordHash.make(password: "pw", parameters: parameters)
        }
    }

    @Test func theStandardParametersAreValid() {
        #expect(Scrypt.Parameters.standard.isValid)
    }

    // MARK: Secure random

    @Test func secureRandomGivesFreshBytes() throws {
        let a = try SecureRandom.bytes(32)
        let b = try SecureRandom.bytes(32)
        #expect(a.count == 32)
        #expect(b.count == 32)
        #expect(a != b)
    }

    // MARK: Constant-time comparison

    @Test func constantTimeEqualComparesBytes() {
        #expect(constantTimeEqual([1, 2, 3], [1, 2, 3]))
        #expect(constantTimeEqual([], []))
        #expect(!constantTimeEqual([1, 2, 3], [1, 2, 4]))
        #expect(!constantTimeEqual([0, 2, 3], [1, 2, 3]))
        #expect(!constantTimeEqual([1, 2, 3], [1, 2]))
        #expect(!constantTimeEqual([], [0]))
    }

    // MARK: Base64url (RFC 4648 §10 vectors, url alphabet, no padding)

    @Test(arguments: [
        ("", ""), ("f", "Zg"), ("fo", "Zm8"), ("foo", "Zm9v"), ("foob", "Zm9vYg"), ("fooba", "Zm9vYmE"),
        ("foobar", "Zm9vYmFy"),
    ])
    func base64URLMatchesRFC4648(input: String, encoded: String) {
        #expect(Base64URL.encode(Array(input.utf8)) == encoded)
    }

    @Test func base64URLUsesTheURLAlphabet() {
        #expect(Base64URL.encode([0xfb, 0xff]) == "-_8")
        #expect(Base64URL.encode([0xfb, 0xef, 0xbe]) == "----")
        #expect(Base64URL.encode([0xff, 0xff, 0xff]) == "____")
    }

    // MARK: Password hashes

    static let cheap = Scrypt.Parameters(n: 1024, r: 8, p: 1)

    @Test func passwordHashVerifiesTheRightPasswordOnly() async throws {
        let stored = try await PasswordHash.make(password: "correct horse battery staple", parameters: Self.cheap)
        #expect(stored.parameters == Self.cheap)
        #expect(stored.salt.count == 16)
        #expect(stored.hash.count == 32)
        #expect(try await stored.verify(password: "correct horse battery staple"))
        #expect(try await !stored.verify(password: "correct horse battery stapler"))
        #expect(try await !stored.verify(password: ""))
    }

    @Test func twoHashesOfOnePasswordHaveDifferentSalts() async throws {
        let a = try await PasswordHash.make(password: "mật khẩu", parameters: Self.cheap)
        let b = try await PasswordHash.make(password: "mật khẩu", parameters: Self.cheap)
        #expect(a.salt != b.salt)
        #expect(a.hash != b.hash)
        #expect(try await a.verify(password: "mật khẩu"))
        #expect(try await b.verify(password: "mật khẩu"))
    }

    /// The hash is over the bytes as given: NFC and NFD spellings of one password differ, so
    /// callers must normalize to NFC before hashing and before verifying.
    @Test func passwordBytesAreNotNormalized() async throws {
        let nfc = "Vi\u{1EC7}t"  // ệ precomposed
        let nfd = "Vie\u{323}\u{302}t"  // e + dot below + circumflex
        #expect(nfc == nfd, "canonically equivalent as Swift strings")
        #expect(Array(nfc.utf8) != Array(nfd.utf8), "but different bytes")
        let stored = try await PasswordHash.make(password: nfc, parameters: Self.cheap)
        #expect(try await stored.verify(password: nfc))
        #expect(try await !stored.verify(password: nfd))
    }

    @Test func parametersJSON() {
        let stored = PasswordHash(parameters: Self.cheap, salt: [], hash: [])
        #expect(stored.parametersJSON == #"{"n":1024,"r":8,"p":1,"length":32}"#)
    }
}
