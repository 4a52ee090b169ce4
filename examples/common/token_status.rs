//! `sc token status`: the current token's expiry, the last renewal, and the fleet's counters
//! against SoundCloud's limits (docs/fleet.md explains how to read it).

use scplay::core::store::FleetStats;
use scplay::core::{Client, Token, TokenKind};
use serde_json::{Value, json};

/// Client-credentials grants SoundCloud allows per app in 12 hours.
pub const GRANTS_PER_12H: u64 = 50;
/// Plays SoundCloud allows per app in 24 hours.
pub const PLAYS_PER_24H: u64 = 15_000;

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// The status as JSON (`token` and `fleet` are `null` when there is none).
pub fn json(store: &str, token: Option<&Token>, fleet: Option<&FleetStats>) -> Value {
    let now = now();
    json!({
        "store": store,
        "token": token.map(|t| json!({
            "kind": match t.kind { TokenKind::App => "app", TokenKind::User => "user" },
            "expires_at": t.expires_at,
            "expires_in": t.expires_at - now,
            "issued_at": (t.issued_at > 0).then_some(t.issued_at),
            "has_refresh_token": t.refresh_token.is_some(),
        })),
        "fleet": fleet.map(|f| json!({
            "grants_12h": f.grants_12h,
            "refreshes_12h": f.refreshes_12h,
            "local_grants_12h": f.local_grants_12h,
            "plays_24h": f.plays_24h,
            "last_renewal": f.last_renewal.as_ref().map(|(at, how)| json!({"at": at, "how": how})),
            "version": f.version,
        })),
        "limits": {"grants_per_12h": GRANTS_PER_12H, "plays_per_24h": PLAYS_PER_24H},
    })
}

fn ago(secs: i64) -> String {
    match secs {
        s if s < 120 => format!("{s} s"),
        s if s < 7200 => format!("{} min", s / 60),
        s => format!("{} h {} min", s / 3600, s % 3600 / 60),
    }
}

/// The status for people, one fact per line.
pub fn text(store: &str, token: Option<&Token>, fleet: Option<&FleetStats>) -> String {
    let now = now();
    let mut lines = vec![format!("store:         {store}")];
    lines.push(match token {
        None => "token:         none (the next request fetches one)".into(),
        Some(t) => {
            let kind = match t.kind {
                TokenKind::App => "app",
                TokenKind::User => "user",
            };
            let left = t.expires_at - now;
            if left > 0 {
                format!(
                    "token:         {kind} token, expires in {} (at {})",
                    ago(left),
                    t.expires_at
                )
            } else {
                format!(
                    "token:         {kind} token, expired {} ago (renewed on next use)",
                    ago(-left)
                )
            }
        }
    });
    match fleet {
        None => {
            if let Some(t) = token.filter(|t| t.issued_at > 0) {
                lines.push(format!("last renewal:  {} ago", ago(now - t.issued_at)));
            }
            lines.push(
                "fleet:         not counted (a token file is private to this machine)".into(),
            );
        }
        Some(f) => {
            lines.push(match &f.last_renewal {
                Some((at, how)) => format!("last renewal:  {how}, {} ago", ago(now - at)),
                None => "last renewal:  none counted".into(),
            });
            lines.push(format!(
                "last 12 h:     {} grants of {GRANTS_PER_12H} allowed, {} refreshes, \
                 {} local grants (Redis unreachable)",
                f.grants_12h, f.refreshes_12h, f.local_grants_12h
            ));
            lines.push(format!(
                "last 24 h:     {} plays of {PLAYS_PER_24H} allowed",
                f.plays_24h
            ));
        }
    }
    lines.join("\n")
}

/// Reads the token and the counters through `client`.
pub async fn read(
    client: &Client,
) -> Result<(Option<Token>, Option<FleetStats>), scplay::core::Error> {
    let token = client.token().await?;
    let fleet = client.fleet_stats().await?;
    Ok((token, fleet))
}
