public import Foundation

extension ResultRules {
    /// A move asked of a result, with what it brings.
    public enum Request: Sendable, Hashable {
        /// New period and figures for a draft or returned result.
        case update(start: CalendarDate, end: CalendarDate, figures: ResultFigures)
        case submit
        case approve
        /// Back to its unit, with the reason.
        case giveBack(reason: String)
        /// New figures for an approved result, with the reason.
        case correct(ResultFigures, reason: String)

        /// The move it makes.
        public var move: Move {
            switch self {
            case .update: .update
            case .submit: .submit
            case .approve: .approve
            case .giveBack: .giveBack
            case .correct: .correct
            }
        }

        /// What the policy is asked: a decision above the unit, or the unit's own reporting.
        public var action: Action {
            switch self {
            case .update, .submit: .submitResult
            case .approve, .giveBack, .correct: .decideResult
            }
        }
    }

    /// Whether reporting of a year is closed, and where it was reopened.
    public struct Deadline: Sendable, Hashable {
        /// The year of the results it closes.
        public var year: Int
        /// The last day results of the year are taken (the province's, or 25 January after it).
        public var closesOn: CalendarDate
        /// Units whose subtree the province reopened the year for, until a day not yet past.
        public var reopenedFor: Set<Int64>

        public init(year: Int, closesOn: CalendarDate, reopenedFor: Set<Int64>) {
            self.year = year
            self.closesOn = closesOn
            self.reopenedFor = reopenedFor
        }

        /// The last day results of `year` are taken when the province set none: 25 January after it.
        public static func defaultClosing(of year: Int) -> CalendarDate {
            CalendarDate(year: year + 1, month: 1, day: 25)
        }

        /// Why a result of the last unit of `path` (the province first) is not entered or
        /// submitted `today`, or nil when reporting is open for it.
        public func refusal(path: [Int64], today: CalendarDate) -> String? {
            guard today > closesOn, !path.contains(where: reopenedFor.contains) else { return nil }
            return "results of \(year) closed on \(closesOn); the province can reopen reporting for this unit"
        }
    }

    /// A result as a move finds it: read once, with its unit, the unit's path, the indicator's
    /// rules and the year's deadline.
    public struct Standing: Sendable, Hashable {
        public var state: State
        public var version: Int
        /// The reporting unit.
        public var unit: FoundUnit
        /// The unit's path, the province first.
        public var path: [Int64]
        /// Who had a hand in the figures (four eyes).
        public var hands: Hands
        /// The path of the unit whose role approved it, when it was approved.
        public var approvedAt: [Int64]?
        /// The indicator's rules.
        public var indicator: IndicatorRules
        /// The deadline of the year the move concerns (the new period's, for an update).
        public var deadline: Deadline
        /// Today in Vietnam.
        public var today: CalendarDate

        public init(
            state: State, version: Int, unit: FoundUnit, path: [Int64], hands: Hands, approvedAt: [Int64]?, indicator: IndicatorRules,
            deadline: Deadline, today: CalendarDate
        ) {
            self.state = state
            self.version = version
            self.unit = unit
            self.path = path
            self.hands = hands
            self.approvedAt = approvedAt
            self.indicator = indicator
            self.deadline = deadline
            self.today = today
        }
    }

    /// Why a move is refused, in the order a caller learns of it.
    public enum MoveRefusal: Error, Sendable, Hashable {
        /// The result is not in the caller's province or scope.
        case notFound
        /// The policy does not let the caller do `action` on the result's unit.
        case notAllowed(Action)
        /// A rule of results refuses the caller (four eyes, the level that corrects).
        case forbidden(String)
        /// The result's state or unit does not allow the move.
        case conflict(field: String, reason: String)
        /// The result changed since the version the caller saw.
        case staleVersion(expected: Int, current: Int)
        /// The move's figures or period break a rule.
        case input(field: String, reason: String)
    }

    /// A move allowed: the state it leads to and, for an approval, the unit of the role that
    /// approves (nil for the operator).
    public struct Verdict: Sendable, Hashable {
        public var next: State
        public var decidingUnit: Int64?
    }

    /// Whether `principal` (acting as `account`; nil for the operator) may make `request` on the
    /// result of `standing` in `provinceID`, having seen `expectedVersion` (nil: any). Refused in this order: out of scope, not allowed by the
    /// policy, the unit ended, the state, the version, then the move's own rules (the figures and
    /// period, the deadline, four eyes, the level that corrects).
    public static func decide(
        _ request: Request, expectedVersion: Int?, on standing: Standing, by principal: Principal, account: UUID?, provinceID: Int64
    ) -> Result<Verdict, MoveRefusal> {
        switch Policy.decide(principal, request.action, .unit(provinceID, path: standing.path)) {
        case .allow: break
        case .notFound: return .failure(.notFound)
        case .forbidden: return .failure(.notAllowed(request.action))
        }
        let unit = standing.unit
        if let refusal = EndedUnit.refusal(unit: "\(unit.code) \(unit.name)", ended: unit.ended, validTo: unit.validTo, what: "its results") {
            return .failure(.conflict(field: "unit_id", reason: refusal))
        }
        guard let next = next(standing.state, request.move) else {
            return .failure(.conflict(field: "state", reason: "a \(standing.state.rawValue) result cannot be \(pastTense(request.move))"))
        }
        if let expectedVersion, expectedVersion != standing.version {
            return .failure(.staleVersion(expected: expectedVersion, current: standing.version))
        }
        var verdict = Verdict(next: next, decidingUnit: nil)
        switch request {
        case .update(let start, let end, let figures):
            switch refusal(start: start, end: end, figures: figures, unit: unit, indicator: standing.indicator, today: standing.today) {
            case .input(let field, let reason)?: return .failure(.input(field: field, reason: reason))
            case .conflict(let field, let reason)?: return .failure(.conflict(field: field, reason: reason))
            case nil: break
            }
            if let refusal = standing.deadline.refusal(path: standing.path, today: standing.today) {
                return .failure(.conflict(field: "period_end", reason: refusal))
            }
        case .submit:
            if let refusal = standing.deadline.refusal(path: standing.path, today: standing.today) {
                return .failure(.conflict(field: "period_end", reason: refusal))
            }
        case .approve:
            if let refusal = fourEyesRefusal(standing.hands, approver: account) { return .failure(.forbidden(refusal)) }
            verdict.decidingUnit = approvingUnit(of: principal, path: standing.path)
        case .giveBack:
            break
        case .correct(let figures, _):
            // The reporting unit's rules, but the approving level's permission: the level that
            // approved, or one above it.
            if let (field, reason) = standing.indicator.problem(with: figures) { return .failure(.input(field: field, reason: reason)) }
            if let approvedAt = standing.approvedAt, let refusal = correctionRefusal(principal, approvedAt: approvedAt) {
                return .failure(.forbidden(refusal))
            }
        }
        return .success(verdict)
    }

    /// The move's past participle, for messages.
    public static func pastTense(_ move: Move) -> String {
        switch move {
        case .update: "changed"
        case .submit: "submitted"
        case .approve: "approved"
        case .giveBack: "returned"
        case .correct: "corrected (only approved results are)"
        }
    }
}
