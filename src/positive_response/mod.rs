//! USA North 811's PositiveResponse API ("API Member functions"; summary in the contract's
//! `onecall/positive-response.md`) as the runtime's [`Responder`] port, and the center's locate
//! code list. [`client`] speaks the API (token, code list, posting a code); [`codes`] keeps each
//! center's list fresh (at start-up and daily).
//!
//! Credentials are read from the database for each post and never written anywhere else: not to
//! logs, not into errors, not to the API (which masks the password).

pub mod client;
pub mod codes;

pub use client::PositiveResponseClient;
