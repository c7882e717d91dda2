/// What went wrong with a request, the same for the store, the API, the web pages and the
/// commands: a code (the kind of problem, from which the API takes its HTTP status), the field at
/// fault, an English reason, and — where the catalogue has a finer message — its key and the
/// arguments it is written with, so `message(for:language:)` can say it in Vietnamese.
public struct ChitieuError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kind of problem. Stable: the API sends it as the problem's `code`.
    public struct Code: Hashable, Sendable, CaseIterable, CustomStringConvertible {
        private enum Base: String, CaseIterable {
            case invalid, malformed, unauthenticated, forbidden
            case notFound = "not_found"
            case conflict
            case staleVersion = "stale_version"
            case wrongState = "wrong_state"
            case locked
            case unitEnded = "unit_ended"
            case deadlinePassed = "deadline_passed"
            case infeasible
            case rateLimited = "rate_limited"
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// A value breaks a rule of the field (a range, a format, a reference to nothing).
        public static let invalid = Code(.invalid)
        /// The request cannot be read at all (not JSON, wrong JSON type, a query that cannot be parsed).
        public static let malformed = Code(.malformed)
        /// No valid credentials.
        public static let unauthenticated = Code(.unauthenticated)
        /// Visible, but the caller's roles do not allow the action.
        public static let forbidden = Code(.forbidden)
        /// No such thing, or not in the caller's province or scope (answered alike).
        public static let notFound = Code(.notFound)
        /// The request conflicts with the state of the data (a key used twice, a job still running…).
        public static let conflict = Code(.conflict)
        /// The thing changed since the version the caller read.
        public static let staleVersion = Code(.staleVersion)
        /// The thing's state does not allow the move (approving a draft, returning an approved result).
        public static let wrongState = Code(.wrongState)
        /// A locked value that the request would change.
        public static let locked = Code(.locked)
        /// The unit ended: what it holds is history, read only.
        public static let unitEnded = Code(.unitEnded)
        /// The period's reporting closed.
        public static let deadlinePassed = Code(.deadlinePassed)
        /// No allocation meets the rules given (margins, locked cells, weights).
        public static let infeasible = Code(.infeasible)
        /// Too many attempts; the caller waits `retryAfter` seconds.
        public static let rateLimited = Code(.rateLimited)

        public static var allCases: [Code] { Base.allCases.map(Code.init) }

        /// The code as the API writes it (`not_found`, `stale_version`).
        public var name: String { base.rawValue }

        public var description: String { name }

        /// The code written as `name`, or nil.
        public init?(name: String) {
            guard let base = Base(rawValue: name) else { return nil }
            self.init(base)
        }
    }

    /// The kind of problem.
    public var code: Code
    /// The field (JSON member, query parameter, flag, CSV column) at fault, if one is.
    public var field: String?
    /// What was wrong and what is accepted, in English, without the field.
    public var reason: String
    /// The catalogue's finer message, if it has one for this problem.
    public var key: MessageKey?
    /// The values the message names (a year, a unit, a date), by the catalogue's placeholder names.
    public var arguments: [String: MessageArgument]

    /// An error with a reason written here, in English; other languages get the catalogue's
    /// message for the code, naming the field.
    public init(_ code: Code, field: String? = nil, reason: String) {
        self.code = code
        self.field = field
        self.reason = reason
        self.key = nil
        self.arguments = [:]
    }

    /// An error with no field, e.g. `ChitieuError(.forbidden, "your roles do not allow …")`.
    public init(_ code: Code, _ reason: String) {
        self.init(code, field: nil, reason: reason)
    }

    /// An error the catalogue words: the English reason is the key's English message.
    public init(_ code: Code, field: String? = nil, _ key: MessageKey, _ arguments: [String: MessageArgument] = [:]) {
        self.code = code
        self.field = field
        self.key = key
        self.arguments = arguments
        self.reason = MessageCatalogue.render(key: key, .en, field: field, arguments: arguments)
    }

    /// `field: reason`, or the reason when no field is at fault (what the commands print).
    public var description: String {
        guard let field, !field.isEmpty else { return reason }
        return "\(field): \(reason)"
    }

    /// For `rateLimited`: the seconds to wait before trying again.
    public var retryAfter: Int? {
        if case .count(let seconds) = arguments["seconds"] { return seconds }
        return nil
    }

    /// The message in a language: English is `description`; Vietnamese comes from the catalogue.
    public func message(in language: Language) -> String {
        MessageCatalogue.message(for: self, language: language)
    }
}

/// The message an officer reads for an error: a Vietnamese sentence naming the field in words
/// (`language: .vi`), or the English `field: reason` (`.en`).
public func message(for error: ChitieuError, language: Language) -> String {
    MessageCatalogue.message(for: error, language: language)
}
