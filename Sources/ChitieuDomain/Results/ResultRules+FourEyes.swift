public import Foundation

extension ResultRules {
    /// Who had a hand in a result's figures: none of them approves it.
    public struct Hands: Sendable, Hashable {
        /// The account that created the result.
        public var createdBy: UUID?
        /// The account that last changed its figures (value, breakdown, companion, note).
        public var lastEditedBy: UUID?
        /// The account that submitted it.
        public var submittedBy: UUID?

        public init(createdBy: UUID?, lastEditedBy: UUID?, submittedBy: UUID?) {
            self.createdBy = createdBy
            self.lastEditedBy = lastEditedBy
            self.submittedBy = submittedBy
        }
    }

    /// Four eyes: why `approver` may not approve a result these hands made — it submitted the
    /// result, created it or last changed its figures — or nil when it may. The operator (no
    /// account) is not refused.
    public static func fourEyesRefusal(_ hands: Hands, approver: UUID?) -> String? {
        guard let me = approver else { return nil }
        let part =
            hands.submittedBy == me ? "submitted"
            : hands.createdBy == me ? "created"
            : hands.lastEditedBy == me ? "last changed the figures of" : nil
        return part.map { "four eyes: you \($0) this result, so you do not approve it; another officer of the level above does" }
    }
}
