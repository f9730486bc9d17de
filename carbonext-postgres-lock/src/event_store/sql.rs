//! The SQL of [`super::PostgresEventStore`]: its two tables (created when missing) and the
//! statements that read and write them, with the table names filled in once.
//!
//! ```text
//! {table}          store, order_id, tracked (JSON text), finished    one row per tracked order
//! {table}_pending  store, event_id, order_id, seq, event (JSON text) events not yet acknowledged
//! {table}_stores   store, horizon (JSON text)                        one row per store that polled
//! ```
//!
//! JSON is kept as `text`, not `jsonb`: amounts are JSON numbers with exact digits, and
//! `jsonb` would rewrite some of them (`1e3` → `1000`).

/// Longest table name accepted (PostgreSQL cuts identifiers at 63 bytes; the pending table
/// and its index add up to 14).
pub const MAX_TABLE_NAME: usize = 40;

/// Whether `name` is a plain lowercase SQL identifier that fits: the table name is written
/// into the statements, so nothing else is accepted.
pub fn is_table_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    matches!(bytes.next(), Some(b'a'..=b'z' | b'_'))
        && bytes.all(|b| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'_'))
        && name.len() <= MAX_TABLE_NAME
}

/// Every statement, for one table name.
#[derive(Debug, Clone)]
pub struct Statements {
    /// Creates both tables and the index, when missing (run under [`Statements::schema_lock`]).
    pub create: String,
    /// Text hashed into the advisory lock held while the tables are created.
    pub schema_lock: String,
    /// Upserts tracked orders: `$1` store, `$2` order ids, `$3` tracked JSON.
    pub upsert_orders: String,
    /// Appends pending events after the store's last: `$1` store, `$2` event ids, `$3` order
    /// ids, `$4` event JSON (a repeated event id is ignored).
    pub append_events: String,
    /// Marks orders finished: `$1` store, `$2` order ids.
    pub mark_finished: String,
    /// Forgets finished orders with no pending event: `$1` store, `$2` order ids.
    pub forget_finished: String,
    /// Drops one pending event and forgets its order if that finished it: `$1` store, `$2`
    /// event id.
    pub acknowledge: String,
    /// The tracked orders: `$1` store.
    pub load_orders: String,
    /// The pending events in hand-over order: `$1` store.
    pub load_pending: String,
    /// Sets the store's horizon: `$1` store, `$2` horizon JSON.
    pub set_horizon: String,
    /// The store's horizon (no row for a fresh store): `$1` store.
    pub load_horizon: String,
}

/// Takes a transaction-level advisory lock on the text `$1`.
pub const XACT_LOCK: &str = "select pg_advisory_xact_lock(hashtextextended($1::text, 0))";
/// Tries a session-level advisory lock on the text `$1`.
pub const TRY_LOCK: &str = "select pg_try_advisory_lock(hashtextextended($1::text, 0))";

impl Statements {
    /// The statements of `table` (a name [`is_table_name`] accepted).
    pub fn new(table: &str) -> Self {
        let pending = format!("{table}_pending");
        let stores = format!("{table}_stores");
        Self {
            create: format!(
                "create table if not exists {table} (
                     store text not null,
                     order_id text not null,
                     tracked text not null,
                     finished boolean not null default false,
                     primary key (store, order_id)
                 );
                 create table if not exists {pending} (
                     store text not null,
                     event_id text not null,
                     order_id text not null,
                     seq bigint not null,
                     event text not null,
                     primary key (store, event_id)
                 );
                 create index if not exists {pending}_order on {pending} (store, order_id);
                 create table if not exists {stores} (
                     store text primary key,
                     horizon text not null
                 );"
            ),
            schema_lock: format!("carbonext.order_events.schema:{table}"),
            upsert_orders: format!(
                "insert into {table} (store, order_id, tracked)
                 select $1, u.order_id, u.tracked
                 from unnest($2::text[], $3::text[]) as u(order_id, tracked)
                 on conflict (store, order_id) do update set tracked = excluded.tracked"
            ),
            append_events: format!(
                "insert into {pending} (store, event_id, order_id, seq, event)
                 select $1, u.event_id, u.order_id, last.seq + u.n, u.event
                 from unnest($2::text[], $3::text[], $4::text[])
                          with ordinality as u(event_id, order_id, event, n),
                      (select coalesce(max(seq), 0) as seq from {pending} where store = $1) as last
                 on conflict (store, event_id) do nothing"
            ),
            mark_finished: format!(
                "update {table} set finished = true
                 where store = $1 and order_id = any($2::text[])"
            ),
            forget_finished: format!(
                "delete from {table} o
                 where o.store = $1 and o.finished and o.order_id = any($2::text[])
                   and not exists (select 1 from {pending} p
                                   where p.store = $1 and p.order_id = o.order_id)"
            ),
            // The outer statement sees the table as it was before the CTE's delete, hence
            // the `event_id <> $2`.
            acknowledge: format!(
                "with gone as (
                     delete from {pending} where store = $1 and event_id = $2
                     returning order_id
                 )
                 delete from {table} o using gone
                 where o.store = $1 and o.order_id = gone.order_id and o.finished
                   and not exists (select 1 from {pending} p
                                   where p.store = $1 and p.order_id = o.order_id
                                     and p.event_id <> $2)"
            ),
            load_orders: format!("select order_id, tracked from {table} where store = $1"),
            load_pending: format!(
                "select event from {pending} where store = $1 order by seq, event_id"
            ),
            set_horizon: format!(
                "insert into {stores} (store, horizon) values ($1, $2)
                 on conflict (store) do update set horizon = excluded.horizon"
            ),
            load_horizon: format!("select horizon from {stores} where store = $1"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_short_identifiers_are_table_names() {
        for good in ["carbonext_order_events", "_t", "events2"] {
            assert!(is_table_name(good), "{good}");
        }
        let long = "a".repeat(MAX_TABLE_NAME + 1);
        for bad in [
            "",
            "2events",
            "Events",
            "a-b",
            "a b",
            "x;drop table y",
            "ç",
            &long,
        ] {
            assert!(!is_table_name(bad), "{bad}");
        }
    }
}
