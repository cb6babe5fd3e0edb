//! TLS for what Aegis calls out to (PagerDuty, Slack, webhooks over https; SMTP with STARTTLS or
//! TLS). Two rustls crypto providers are compiled in through different crates, and rustls then
//! refuses to pick one for code that asks for the process default: this picks `ring`, once.

/// Installs the process's rustls provider; later calls change nothing.
pub fn install_provider() {
    // An error only says a provider is already installed, which is what is wanted.
    let _ = rustls::crypto::ring::default_provider().install_default();
}
