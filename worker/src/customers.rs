//! The customers context: accounts without passwords. `Customers` sends sign-in links
//! (through the mail context's queue, never on the shopper's path), turns a link into a
//! session, and reads and changes a signed-in customer's account; each account is a
//! `CustomerObject` ([`object`]) named by its address's key, the authority on its
//! links, sessions and saved addresses. Order history is not copied into the account:
//! it is the orders placed with the account's address, read from the order index —
//! linked by the address the customer proved they own, and unlinked by deleting the
//! account (the orders stay with the merchant).

pub mod object;
pub mod protocol;

use crate::bindings;
use crate::durable::{self, Caller};
use crate::error::{AppError, AppResult};
use crate::mail::{self, MailMessage};
use crate::orders::Index;
use crate::random;
use crate::timing::now_ms;
use protocol::{CustomerCommand, CustomerReply};
use shared::checkout::{Address, Email};
use shared::customers::{customer_key, Account, LinkRefusal, LinkToken, SessionRef};
use shared::mail::{sign_in_email, Words, SIGN_IN_LINK_MINUTES};
use shared::orders::{Order, OrderQuery};
use shared::strings::Text;
use worker::Env;

/// What changing a signed-in account came to.
pub enum Change {
    Done,
    /// The session is over (signed out elsewhere, or the account deleted).
    SignedOut,
    /// The address book is full.
    Full,
}

pub struct Customers<'t> {
    env: &'t Env,
    caller: Caller<'t>,
}

fn now() -> u64 {
    now_ms() as u64
}

impl<'t> Customers<'t> {
    pub fn new(env: &'t Env, caller: Caller<'t>) -> Customers<'t> {
        Customers { env, caller }
    }

    fn stub(&self, customer: &str) -> AppResult<worker::Stub> {
        durable::stub(self.env, bindings::CUSTOMERS, &format!("customer:{customer}"))
    }

    async fn send(&self, customer: &str, command: &CustomerCommand) -> AppResult<CustomerReply> {
        self.caller.call(&self.stub(customer)?, "customer account", command).await
    }

    /// Sends a sign-in link to `email`: the same for every address, known or not (the
    /// account is made when the link is used). Refused when the shop cannot send mail,
    /// and when the address was sent too many links lately.
    /// `words` and `site_url` (scheme, host and the edition's path base) are the edition's
    /// the shopper asked from: the email is in its language and the link opens its pages.
    pub async fn send_link(
        &self,
        email: &Email,
        site_url: &str,
        store_name: &str,
        words: Words<'_>,
    ) -> AppResult<()> {
        mail::require_channel(self.env)?;
        let token = LinkToken { customer: customer_key(email), secret: random::hex_id()? };
        let digest = token.digest();
        let command = CustomerCommand::IssueLink {
            email: email.as_str().to_string(),
            digest: digest.clone(),
            now_ms: now(),
        };
        match self.send(&token.customer, &command).await? {
            CustomerReply::Issued => {}
            CustomerReply::TooManyLinks => {
                return Err(AppError::Limited(
                    u32::try_from(SIGN_IN_LINK_MINUTES * 60).unwrap_or(900),
                    Text::new(
                        "{count} sign-in links went to this address in the last {minutes} minutes. Use the newest \
                         one, or ask again later.",
                    )
                    .with("count", shared::customers::MAX_LINKS_PER_WINDOW.to_string())
                    .with("minutes", SIGN_IN_LINK_MINUTES.to_string()),
                ))
            }
            other => return Err(unexpected(&other)),
        }
        let link = format!("{site_url}/account/verify?t={}", token.as_text());
        let link_id = digest.get(..32).unwrap_or(&digest);
        let mail = sign_in_email(email.as_str(), store_name, &link, link_id, now(), words);
        mail::enqueue(self.env, MailMessage { mail, withhold: link }).await
    }

    /// Uses a sign-in link: a new session for its account, or why not.
    pub async fn redeem(&self, token: &LinkToken) -> AppResult<Result<(SessionRef, Account), LinkRefusal>> {
        let session = SessionRef { customer: token.customer.clone(), session: random::hex_id()? };
        let command = CustomerCommand::Redeem {
            digest: token.digest(),
            session: session.session.clone(),
            now_ms: now(),
        };
        match self.send(&token.customer, &command).await? {
            CustomerReply::Account { account } => Ok(Ok((session, account))),
            CustomerReply::LinkRefused { refusal } => Ok(Err(refusal)),
            other => Err(unexpected(&other)),
        }
    }

    /// The account of a signed-in customer, unless the session is over.
    pub async fn account(&self, who: &SessionRef) -> AppResult<Option<Account>> {
        let command = CustomerCommand::Session { session: who.session.clone(), now_ms: now() };
        match self.send(&who.customer, &command).await? {
            CustomerReply::Account { account } => Ok(Some(account)),
            CustomerReply::SignedOut => Ok(None),
            other => Err(unexpected(&other)),
        }
    }

    pub async fn sign_out(&self, who: &SessionRef) -> AppResult<()> {
        self.send(&who.customer, &CustomerCommand::SignOut { session: who.session.clone() }).await?;
        Ok(())
    }

    /// Ends every session of the account (this one included).
    pub async fn sign_out_everywhere(&self, who: &SessionRef) -> AppResult<()> {
        let command = CustomerCommand::SignOutEverywhere { session: who.session.clone(), now_ms: now() };
        self.send(&who.customer, &command).await?;
        Ok(())
    }

    fn change_of(reply: CustomerReply) -> AppResult<Change> {
        match reply {
            CustomerReply::Account { .. } => Ok(Change::Done),
            CustomerReply::SignedOut => Ok(Change::SignedOut),
            CustomerReply::Full => Ok(Change::Full),
            other => Err(unexpected(&other)),
        }
    }

    /// Saves an address to the account (once: saving it again changes nothing).
    pub async fn save_address(&self, who: &SessionRef, address: Address) -> AppResult<Change> {
        let command = CustomerCommand::SaveAddress {
            session: who.session.clone(),
            id: random::hex_id()?,
            address,
            now_ms: now(),
        };
        Self::change_of(self.send(&who.customer, &command).await?)
    }

    pub async fn remove_address(&self, who: &SessionRef, id: &str) -> AppResult<Change> {
        let command = CustomerCommand::RemoveAddress {
            session: who.session.clone(),
            id: id.to_string(),
            now_ms: now(),
        };
        Self::change_of(self.send(&who.customer, &command).await?)
    }

    /// Deletes the account and all it keeps; `false` if the session was over.
    pub async fn delete(&self, who: &SessionRef) -> AppResult<bool> {
        let command = CustomerCommand::Delete { session: who.session.clone(), now_ms: now() };
        match self.send(&who.customer, &command).await? {
            CustomerReply::Done => Ok(true),
            CustomerReply::SignedOut => Ok(false),
            other => Err(unexpected(&other)),
        }
    }

    /// Test routes only: moves the links sent to `email` `ms` milliseconds into the past.
    pub async fn age_links(&self, email: &Email, ms: u64) -> AppResult<()> {
        let stub = self.stub(&customer_key(email))?;
        let _: object::Age =
            self.caller.call_at(&stub, "customer account", object::AGE_PATH, &object::Age { ms }).await?;
        Ok(())
    }

    /// The orders placed with the account's address, newest first.
    pub async fn orders(&self, account: &Account) -> AppResult<Vec<Order>> {
        let email = Email::parse(&account.email)
            .map_err(|e| AppError::Internal(format!("account email: {}", e.message)))?;
        Ok(Index::new(self.env, self.caller)?.list(OrderQuery::placed_by(&email)).await?.orders)
    }
}

fn unexpected(reply: &CustomerReply) -> AppError {
    AppError::Internal(format!("unexpected customer reply: {reply:?}"))
}
