//! What the worker asks a customer's object (`CustomerObject`, one per account, named
//! by `shared::customers::customer_key`) and what it answers. Every command on a
//! signed-in account names the session asking: the object is the authority on which
//! sessions are live, so signing out everywhere takes effect at once.

use serde::{Deserialize, Serialize};
use shared::checkout::Address;
use shared::customers::{Account, LinkRefusal};

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum CustomerCommand {
    /// Keeps a new sign-in link (its secret's digest) for `email`, unless the address
    /// has had too many lately.
    IssueLink {
        email: String,
        digest: String,
        now_ms: u64,
    },
    /// Uses a link once: the account is made if it is new, and `session` starts.
    Redeem {
        digest: String,
        session: String,
        now_ms: u64,
    },
    /// The account, if `session` is live.
    Session {
        session: String,
        now_ms: u64,
    },
    SignOut {
        session: String,
    },
    /// Ends every session of the account (`session` must be one of them).
    SignOutEverywhere {
        session: String,
        now_ms: u64,
    },
    /// Keeps an address (once: an address kept before is not kept again).
    SaveAddress {
        session: String,
        id: String,
        address: Address,
        now_ms: u64,
    },
    RemoveAddress {
        session: String,
        id: String,
        now_ms: u64,
    },
    /// Deletes the account and everything it keeps.
    Delete {
        session: String,
        now_ms: u64,
    },
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "reply", rename_all = "snake_case")]
pub enum CustomerReply {
    Issued,
    TooManyLinks,
    LinkRefused {
        refusal: LinkRefusal,
    },
    Account {
        account: Account,
    },
    /// The session is not (or no longer) one of this account's, or there is no account.
    SignedOut,
    /// The address book is full.
    Full,
    Done,
}
