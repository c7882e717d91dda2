/// Where a worker records the jobs it runs: the daemon's Prometheus metrics (`ServerMetrics`,
/// served at `/metrics`). A protocol because the HTTP layer that serves them sits above this
/// one; a worker without metrics (`chitieu work`) records nothing.
public protocol JobMetrics: Sendable {
    /// A job of this process started, `waited` after it fell due.
    func jobStarted(kind: String, waited: Duration)
    /// A job of this process ended: `outcome` is `succeeded`, `retrying` or `failed`.
    func jobFinished(kind: String, outcome: String, duration: Duration)
}
