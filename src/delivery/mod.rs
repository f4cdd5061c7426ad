//! Delivery: putting a ready eSIM in the traveller's hands.
//!
//! An eSIM is installed from its activation code, and travellers are in different
//! situations when it arrives, so each delivery carries the same code in several forms:
//! - a QR code image ([`qr`]), to scan with the phone that will hold the eSIM while the
//!   chat is open on another screen;
//! - one-tap install links ([`links`]), for when the chat is open on that very phone and
//!   there is nothing to scan with;
//! - the manual fields ([`lpa`]: SM-DP+ address and activation code) and the whole string
//!   as copyable text, for when neither of the above works.
//!
//! The activation code installs the eSIM for whoever holds it. None of this module logs
//! it, and the types that contain it keep it out of their `Debug` output.

pub mod links;
pub mod lpa;
pub mod qr;

pub use self::links::{InstallLinks, install_links};
pub use self::lpa::{ActivationCode, LpaError};
pub use self::qr::{QrError, render_png, render_terminal};
