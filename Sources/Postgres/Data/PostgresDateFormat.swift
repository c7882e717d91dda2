import Foundation

/// Reading and writing PostgreSQL's ISO date and time text (connections use DateStyle ISO, TimeZone UTC).
enum PostgresDateFormat {
    /// Days from 1970-01-01 to the given civil date (proleptic Gregorian).
    static func daysFromCivil(_ y0: Int, _ m: Int, _ d: Int) -> Int {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (m + 9) % 12
        let doy = (153 * mp + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// The civil date of a day count from 1970-01-01.
    static func civilFromDays(_ z0: Int) -> (Int, Int, Int) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (m <= 2 ? y + 1 : y, m, d)
    }

    static func timestamptzText(_ date: Date) -> String {
        let micros = (date.timeIntervalSince1970 * 1_000_000).rounded()
        // Beyond what PostgreSQL stores (years 4713 BC to 294276 AD) is infinity, never a trap.
        guard micros.isFinite, abs(micros) < 9.0e18 else { return micros > 0 ? "infinity" : "-infinity" }
        var total = Int(micros)
        var days = total / 86_400_000_000
        total -= days * 86_400_000_000
        if total < 0 { total += 86_400_000_000; days -= 1 }
        let (y, m, d) = civilFromDays(days)
        let h = total / 3_600_000_000, mi = (total / 60_000_000) % 60, s = (total / 1_000_000) % 60
        let us = total % 1_000_000
        func pad(_ v: Int, _ n: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, n - s.count)) + s
        }
        return "\(pad(y, 4))-\(pad(m, 2))-\(pad(d, 2)) \(pad(h, 2)):\(pad(mi, 2)):\(pad(s, 2)).\(pad(us, 6))+00"
    }

    /// Parses `YYYY-MM-DD[ HH:MM:SS[.ffffff]][+HH[:MM[:SS]]]`; a missing offset means UTC.
    static func parse(_ text: String) -> Date? {
        if text == "infinity" { return .distantFuture }
        if text == "-infinity" { return .distantPast }
        var text = text
        // Read in place: results carry thousands of timestamps, so no copy of the bytes.
        return text.withUTF8 { bytes -> Date? in
            var scanner = DigitScanner(bytes: bytes)
            guard let y = scanner.number(4), scanner.expect(45), let mo = scanner.number(2), scanner.expect(45), let d = scanner.number(2)
            else { return nil }
            var seconds = Double(daysFromCivil(y, mo, d) * 86_400)
            if scanner.atEnd { return Date(timeIntervalSince1970: seconds) }
            guard scanner.expect(32) || scanner.expect(84), let h = scanner.number(2), scanner.expect(58), let mi = scanner.number(2),
                scanner.expect(58), let s = scanner.number(2)
            else { return nil }
            seconds += Double(h * 3600 + mi * 60 + s)
            if scanner.expect(46) {
                // Microseconds at most: an integer, then one division, keeps the value exact.
                var fraction = 0, scale = 1
                while let digit = scanner.digit() {
                    if scale < 1_000_000 {
                        fraction = fraction * 10 + digit
                        scale *= 10
                    }
                }
                seconds += Double(fraction) / Double(scale)
            }
            if !scanner.atEnd {
                let sign: Double
                if scanner.expect(43) {
                    sign = 1
                } else if scanner.expect(45) {
                    sign = -1
                } else if scanner.expect(90) {
                    return scanner.atEnd ? Date(timeIntervalSince1970: seconds) : nil
                } else {
                    return nil
                }
                guard let oh = scanner.number(2) else { return nil }
                var offset = oh * 3600
                if scanner.expect(58), let om = scanner.number(2) { offset += om * 60 }
                if scanner.expect(58), let os = scanner.number(2) { offset += os }
                seconds -= sign * Double(offset)
            }
            guard scanner.atEnd else { return nil }
            return Date(timeIntervalSince1970: seconds)
        }
    }
}

/// Reads ASCII digits and separators from UTF-8 bytes, front to back.
private struct DigitScanner {
    let bytes: UnsafeBufferPointer<UInt8>
    var i = 0

    var atEnd: Bool { i == bytes.count }

    /// A number of exactly `count` digits.
    mutating func number(_ count: Int) -> Int? {
        guard i + count <= bytes.count else { return nil }
        var v = 0
        for k in i..<(i + count) {
            let c = bytes[k]
            guard c >= 48, c <= 57 else { return nil }
            v = v * 10 + Int(c - 48)
        }
        i += count
        return v
    }

    /// One digit, if the next byte is one.
    mutating func digit() -> Int? {
        guard i < bytes.count, bytes[i] >= 48, bytes[i] <= 57 else { return nil }
        defer { i += 1 }
        return Int(bytes[i] - 48)
    }

    mutating func expect(_ c: UInt8) -> Bool {
        guard i < bytes.count, bytes[i] == c else { return false }
        i += 1
        return true
    }
}
