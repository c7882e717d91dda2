/// Which tables of schema `chitieu` hold one province's rows.
public enum SchemaScope {
    /// Tables with a `province_id` column that belong to the deployment rather than to one
    /// province: the job queue (a job may serve no province; workers claim across provinces),
    /// the username directory (read before the province is known) and the epochs of the
    /// daemons' caches (read across provinces by every daemon). Every other table with a
    /// `province_id` column is a tenant table, with row-level security enabled and forced.
    public static let sharedTables = ["job", "login_name", "cache_epoch"]

    /// The tenant catalogue: one row per province, the table every tenant table refers to.
    public static let catalogue = "province"
}
