//! OAuth 2.1 as SoundCloud runs it. Each flow is a small module over one token mechanism
//! (`tokens`): the authorization code with PKCE ([`authorization_code`]), client
//! credentials by HTTP Basic (`grant`), single-use refresh tokens, and sign-out; the
//! loopback redirect listener is [`loopback`]. How a misbehaving token endpoint is met
//! (timeouts, refusals, cancelled callers, failed saves) is written down in `tokens`.

pub mod authorization_code;
pub(crate) mod grant;
pub mod loopback;
pub mod pkce;
pub(crate) mod tokens;
