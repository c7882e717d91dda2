package import ArgumentParser
package import ChitieuStore

/// `--as ACCOUNT`: run an admin command as an account of the province, through the same policy
/// as the API. Without it the command acts as the operator. Either way the audit event says
/// who acted and `via: cli`.
package struct ActingOption: ParsableArguments {
    @Option(name: .customLong("as"), help: "Act as this account of the province (its roles decide), instead of as the operator.")
    package var account: String?

    package init() {}

    /// The caller for `command` in `tenant`.
    package func caller(_ command: String, _ db: ChitieuDatabase, _ tenant: Province) async throws -> Caller {
        guard let account else { return .command(command) }
        let username = try AccountStore.normalizedUsername(account, field: "--as")
        return try await db.withTenant(tenant.id) { tx in try await Access.caller(asUsername: username, command: command, tx: tx) }
    }
}
