import ChitieuDomain
import Foundation

/// Numbers, rates and days as officers in Vietnam write them: 3.816; 86,1 %; 24/10/2022.
enum WebFormat {
    /// A whole number with dots between thousands: 3.816, 1.234.567.
    static func integer(_ n: Int) -> String {
        let digits = String(n.magnitude)
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0, (digits.count - i) % 3 == 0 { out.append(".") }
            out.append(c)
        }
        return n < 0 ? "-" + out : out
    }

    /// A rate (1 = 100 %) with one decimal after a comma, the ",0" left out: 86,1 %; 100 %.
    static func percent(_ rate: Double) -> String {
        let tenths = Int((rate * 1000).rounded())
        let whole = integer(tenths / 10)
        let tenth = abs(tenths % 10)
        return tenth == 0 ? "\(whole) %" : "\(whole),\(tenth) %"
    }

    /// A day as dd/mm/yyyy.
    static func date(_ day: CalendarDate) -> String { day.dayMonthYear }

    /// The time zone of every day and hour a page shows.
    static let timeZone = TimeZone(identifier: "Asia/Ho_Chi_Minh") ?? TimeZone(secondsFromGMT: 7 * 3600)!

    /// A moment as dd/mm/yyyy HH:mm in Vietnam's time.
    static func dateTime(_ moment: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute], from: moment)
        func two(_ n: Int?) -> String { n.map { $0 < 10 ? "0\($0)" : "\($0)" } ?? "00" }
        return "\(two(c.day))/\(two(c.month))/\(c.year ?? 0) \(two(c.hour)):\(two(c.minute))"
    }

    /// A moment's day as dd/mm/yyyy in Vietnam's time.
    static func date(_ moment: Date) -> String { String(dateTime(moment).prefix(10)) }
}
