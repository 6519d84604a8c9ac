//! `CustomerObject`: one customer's account — the address it was made for, its live
//! sessions, its saved addresses — and the sign-in links sent to that address (only
//! their secrets' digests). An object exists for any address a link was asked for;
//! the account in it is made when a link is used. Its alarm drops links and sessions
//! once they are past use, and the whole object when nothing is left in it.

use super::protocol::{CustomerCommand, CustomerReply};
use crate::durable;
use crate::sql::{int, runtime_error, text, Schema};
use serde::Deserialize;
use shared::customers::{
    Account, LinkRefusal, SavedAddress, LINK_TTL_MS, MAX_ADDRESSES, MAX_LINKS_PER_WINDOW, SESSION_SECONDS,
};
use worker::{durable_object, DurableObject, Env, Request, Response, Result, SqlStorage, State};

/// How long a used or expired link is remembered (so a late click says which it was).
const REMEMBER_LINKS_MS: u64 = 24 * 60 * 60 * 1000;

const TABLES: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS account (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        email TEXT NOT NULL,
        created_at INTEGER NOT NULL
    )",
    "CREATE TABLE IF NOT EXISTS links (
        digest TEXT PRIMARY KEY,
        email TEXT NOT NULL,
        issued_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        used_at INTEGER
    )",
    "CREATE TABLE IF NOT EXISTS sessions (id TEXT PRIMARY KEY, created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL)",
    "CREATE TABLE IF NOT EXISTS addresses (id TEXT PRIMARY KEY, created_at INTEGER NOT NULL, data TEXT NOT NULL)",
];

/// Where the test routes send [`Age`]: answered only with `ENABLE_TEST_ROUTES = "1"`.
pub const AGE_PATH: &str = "/test/age";

/// Test routes only: moves this account's links `ms` milliseconds into the past (so a
/// test sees a link expire without waiting 15 minutes).
#[derive(Debug, serde::Serialize, Deserialize)]
pub struct Age {
    pub ms: u64,
}

#[durable_object]
pub struct CustomerObject {
    state: State,
    env: Env,
    schema: Schema,
}

#[derive(Deserialize)]
struct AccountRow {
    email: String,
    created_at: i64,
}

#[derive(Deserialize)]
struct LinkRow {
    email: String,
    expires_at: i64,
    used_at: Option<i64>,
}

#[derive(Deserialize)]
struct AddressRow {
    id: String,
    data: String,
}

#[derive(Deserialize)]
struct Count {
    n: i64,
}

fn ms(value: u64) -> worker::SqlStorageValue {
    int(i64::try_from(value).unwrap_or(i64::MAX))
}

impl CustomerObject {
    fn sql(&self) -> Result<SqlStorage> {
        let sql = self.state.storage().sql();
        self.schema.ensure(&sql)?;
        Ok(sql)
    }

    fn count(sql: &SqlStorage, query: &str, values: Vec<worker::SqlStorageValue>) -> Result<i64> {
        let rows: Vec<Count> = sql.exec(query, values)?.to_array()?;
        Ok(rows.first().map_or(0, |c| c.n))
    }

    fn account(&self, sql: &SqlStorage) -> Result<Option<Account>> {
        let rows: Vec<AccountRow> = sql.exec("SELECT email, created_at FROM account", None)?.to_array()?;
        let Some(row) = rows.into_iter().next() else { return Ok(None) };
        let addresses: Vec<AddressRow> =
            sql.exec("SELECT id, data FROM addresses ORDER BY created_at DESC, id", None)?.to_array()?;
        let addresses = addresses
            .into_iter()
            .filter_map(|a| Some(SavedAddress { id: a.id, address: serde_json::from_str(&a.data).ok()? }))
            .collect();
        Ok(Some(Account {
            email: row.email,
            created_at_ms: u64::try_from(row.created_at).unwrap_or(0),
            addresses,
        }))
    }

    /// The account as it now is, or signed out when there is none.
    fn account_reply(&self, sql: &SqlStorage) -> Result<CustomerReply> {
        Ok(match self.account(sql)? {
            Some(account) => CustomerReply::Account { account },
            None => CustomerReply::SignedOut,
        })
    }

    /// The account, if `session` is one of its live sessions.
    fn signed_in(&self, sql: &SqlStorage, session: &str, now_ms: u64) -> Result<Option<Account>> {
        let live = Self::count(
            sql,
            "SELECT COUNT(*) AS n FROM sessions WHERE id = ? AND expires_at > ?",
            vec![text(session), ms(now_ms)],
        )?;
        if live == 0 {
            return Ok(None);
        }
        self.account(sql)
    }

    /// Wakes the object when the next link or session is past remembering.
    async fn tidy_later(&self, at_ms: u64) -> Result<()> {
        let storage = self.state.storage();
        let due = storage.get_alarm().await?;
        if due.is_none_or(|due| due as u64 > at_ms) {
            storage.set_alarm(at_ms as i64).await?;
        }
        Ok(())
    }

    async fn run(&self, command: CustomerCommand) -> Result<CustomerReply> {
        let sql = self.sql()?;
        Ok(match command {
            CustomerCommand::IssueLink { email, digest, now_ms } => {
                let recent = Self::count(
                    &sql,
                    "SELECT COUNT(*) AS n FROM links WHERE issued_at > ?",
                    vec![ms(now_ms.saturating_sub(LINK_TTL_MS))],
                )?;
                if recent >= i64::from(MAX_LINKS_PER_WINDOW) {
                    return Ok(CustomerReply::TooManyLinks);
                }
                let expires = now_ms.saturating_add(LINK_TTL_MS);
                sql.exec(
                    "INSERT INTO links (digest, email, issued_at, expires_at) VALUES (?, ?, ?, ?) ON CONFLICT (digest) DO NOTHING",
                    vec![text(digest), text(email), ms(now_ms), ms(expires)],
                )?;
                self.tidy_later(expires.saturating_add(REMEMBER_LINKS_MS)).await?;
                CustomerReply::Issued
            }
            CustomerCommand::Redeem { digest, session, now_ms } => {
                let links: Vec<LinkRow> = sql
                    .exec(
                        "SELECT email, expires_at, used_at FROM links WHERE digest = ?",
                        vec![text(digest.clone())],
                    )?
                    .to_array()?;
                let refusal = match links.first() {
                    None => Some(LinkRefusal::Unknown),
                    Some(link) if link.used_at.is_some() => Some(LinkRefusal::Used),
                    Some(link) if u64::try_from(link.expires_at).unwrap_or(0) <= now_ms => {
                        Some(LinkRefusal::Expired)
                    }
                    Some(_) => None,
                };
                if let Some(refusal) = refusal {
                    return Ok(CustomerReply::LinkRefused { refusal });
                }
                let email = links.into_iter().next().map(|l| l.email).unwrap_or_default();
                sql.exec("UPDATE links SET used_at = ? WHERE digest = ?", vec![ms(now_ms), text(digest)])?;
                sql.exec(
                    "INSERT INTO account (id, email, created_at) VALUES (1, ?, ?) ON CONFLICT (id) DO NOTHING",
                    vec![text(email), ms(now_ms)],
                )?;
                let expires = now_ms.saturating_add(SESSION_SECONDS.saturating_mul(1000));
                sql.exec(
                    "INSERT INTO sessions (id, created_at, expires_at) VALUES (?, ?, ?)",
                    vec![text(session), ms(now_ms), ms(expires)],
                )?;
                sql.exec("DELETE FROM sessions WHERE expires_at <= ?", vec![ms(now_ms)])?;
                self.tidy_later(expires).await?;
                self.account_reply(&sql)?
            }
            CustomerCommand::Session { session, now_ms } => match self.signed_in(&sql, &session, now_ms)? {
                Some(account) => CustomerReply::Account { account },
                None => CustomerReply::SignedOut,
            },
            CustomerCommand::SignOut { session } => {
                sql.exec("DELETE FROM sessions WHERE id = ?", vec![text(session)])?;
                CustomerReply::Done
            }
            CustomerCommand::SignOutEverywhere { session, now_ms } => {
                if self.signed_in(&sql, &session, now_ms)?.is_none() {
                    return Ok(CustomerReply::SignedOut);
                }
                sql.exec("DELETE FROM sessions", None)?;
                CustomerReply::Done
            }
            CustomerCommand::SaveAddress { session, id, address, now_ms } => {
                let Some(account) = self.signed_in(&sql, &session, now_ms)? else {
                    return Ok(CustomerReply::SignedOut);
                };
                if account.saved(&address).is_some() {
                    return Ok(CustomerReply::Account { account });
                }
                if account.addresses.len() >= MAX_ADDRESSES {
                    return Ok(CustomerReply::Full);
                }
                let data = serde_json::to_string(&address).map_err(runtime_error)?;
                sql.exec(
                    "INSERT INTO addresses (id, created_at, data) VALUES (?, ?, ?) ON CONFLICT (id) DO NOTHING",
                    vec![text(id), ms(now_ms), text(data)],
                )?;
                self.account_reply(&sql)?
            }
            CustomerCommand::RemoveAddress { session, id, now_ms } => {
                if self.signed_in(&sql, &session, now_ms)?.is_none() {
                    return Ok(CustomerReply::SignedOut);
                }
                sql.exec("DELETE FROM addresses WHERE id = ?", vec![text(id)])?;
                self.account_reply(&sql)?
            }
            CustomerCommand::Delete { session, now_ms } => {
                if self.signed_in(&sql, &session, now_ms)?.is_none() {
                    return Ok(CustomerReply::SignedOut);
                }
                let storage = self.state.storage();
                storage.delete_alarm().await?;
                storage.delete_all().await?;
                self.schema.forget();
                CustomerReply::Done
            }
        })
    }
}

impl DurableObject for CustomerObject {
    fn new(state: State, env: Env) -> Self {
        CustomerObject { state, env, schema: Schema::new(TABLES, &[]) }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        if req.path() == AGE_PATH && crate::bindings::is(&self.env, crate::bindings::ENABLE_TEST_ROUTES, "1")
        {
            let Age { ms: by } = req.json().await?;
            self.sql()?.exec(
                "UPDATE links SET issued_at = issued_at - ?, expires_at = expires_at - ?",
                vec![ms(by), ms(by)],
            )?;
            return Response::from_json(&Age { ms: by });
        }
        let command = match durable::read_command::<CustomerCommand>(&mut req, "customer").await? {
            Ok(command) => command,
            Err(refused) => return Ok(refused),
        };
        Response::from_json(&self.run(command).await?)
    }

    /// Drops links past remembering and ended sessions; an object left with no account
    /// and no links is deleted whole.
    async fn alarm(&self) -> Result<Response> {
        let sql = self.sql()?;
        let now = worker::Date::now().as_millis();
        sql.exec("DELETE FROM links WHERE expires_at <= ?", vec![ms(now.saturating_sub(REMEMBER_LINKS_MS))])?;
        sql.exec("DELETE FROM sessions WHERE expires_at <= ?", vec![ms(now)])?;
        let links = Self::count(&sql, "SELECT COUNT(*) AS n FROM links", Vec::new())?;
        if self.account(&sql)?.is_none() && links == 0 {
            self.state.storage().delete_all().await?;
            self.schema.forget();
        } else {
            let next: Vec<Count> = sql
                .exec(
                    "SELECT MIN(t) AS n FROM (SELECT expires_at + ? AS t FROM links UNION ALL SELECT expires_at AS t FROM sessions)",
                    vec![ms(REMEMBER_LINKS_MS)],
                )?
                .to_array()
                .unwrap_or_default();
            if let Some(at) = next.first().and_then(|c| u64::try_from(c.n).ok()).filter(|at| *at > 0) {
                self.state.storage().set_alarm(at as i64).await?;
            }
        }
        Response::ok("tidied")
    }
}
