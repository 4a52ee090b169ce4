//! One TLS set-up for the whole process, shared by every HTTP client scplay builds.
//!
//! reqwest's own rustls set-up reads and parses every certificate of the platform's store
//! (`/etc/ssl/certs` on Linux: about 150 files) each time a client is *built*, whether or not
//! the client ever opens a TLS connection. Here the rustls configuration is made once, and
//! its certificate verifier reads the platform's trust roots on the first certificate it has
//! to check, once per process: a player that only talks plain HTTP on loopback never reads
//! them, and every client shares the one root store.
//!
//! Checking is the platform verifier's (`rustls-platform-verifier`), as in reqwest's default;
//! [`preload_roots`] reads the roots on a background thread ahead of the first handshake.

use std::sync::{Arc, OnceLock};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, SignatureScheme};

/// The crypto provider every TLS connection uses: the process's default when one is
/// installed, else *ring* (the tree's only provider), installed as the default so that other
/// rustls users in the process (a `rediss://` token store) find it.
fn provider() -> Arc<CryptoProvider> {
    if let Some(p) = CryptoProvider::get_default() {
        return p.clone();
    }
    // Another thread may install one in between: whichever won is the one used.
    let _ = rustls::crypto::ring::default_provider().install_default();
    CryptoProvider::get_default()
        .cloned()
        .unwrap_or_else(|| Arc::new(rustls::crypto::ring::default_provider()))
}

/// The platform's verifier, made (trust roots read) on first use.
#[derive(Debug)]
struct LazyRoots {
    provider: Arc<CryptoProvider>,
}

/// The verifier over the platform's roots, or why there is none; made once per process.
static ROOTS: OnceLock<Result<Arc<rustls_platform_verifier::Verifier>, String>> = OnceLock::new();

impl LazyRoots {
    fn verifier(&self) -> Result<&Arc<rustls_platform_verifier::Verifier>, rustls::Error> {
        ROOTS
            .get_or_init(|| {
                rustls_platform_verifier::Verifier::new(self.provider.clone())
                    .map(Arc::new)
                    .map_err(|e| format!("the platform's trust roots: {e}"))
            })
            .as_ref()
            .map_err(|e| rustls::Error::General(e.clone()))
    }
}

impl ServerCertVerifier for LazyRoots {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        self.verifier()?.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        )
    }

    // Signatures need no roots: checked with the provider's algorithms, as the platform
    // verifier does.
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// The shared configuration (`None` if the provider refuses the default protocol versions,
/// which a working build never does).
fn config() -> Option<&'static ClientConfig> {
    static CONFIG: OnceLock<Option<ClientConfig>> = OnceLock::new();
    CONFIG
        .get_or_init(|| {
            let provider = provider();
            let mut config = ClientConfig::builder_with_provider(provider.clone())
                .with_safe_default_protocol_versions()
                .ok()?
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(LazyRoots { provider }))
                .with_no_client_auth();
            config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
            Some(config)
        })
        .as_ref()
}

/// A `reqwest` client builder on the process's shared TLS set-up: building the client reads
/// no certificate, and the platform's trust roots are read once per process, on the first
/// TLS handshake (or by [`preload_roots`]). The core [`Client`](crate::Client) and the
/// player build their HTTP clients with it.
pub fn client_builder() -> reqwest::ClientBuilder {
    let builder = reqwest::Client::builder();
    match config() {
        Some(c) => builder.tls_backend_preconfigured(c.clone()),
        // reqwest's own set-up (roots read now) rather than no client at all.
        None => builder,
    }
}

/// Whether the platform's trust roots have been read in this process (for tests and
/// diagnostics: a player that only plays plain-HTTP URLs never reads them).
pub fn roots_loaded() -> bool {
    ROOTS.get().is_some()
}

/// Starts reading the platform's trust roots on a background thread, so the first TLS
/// handshake does not wait for them. Does nothing when they are read or being read.
/// The core [`Client`](crate::Client) calls it when one of its origins is `https`.
pub fn preload_roots() {
    static STARTED: OnceLock<()> = OnceLock::new();
    if STARTED.set(()).is_err() {
        return;
    }
    let lazy = LazyRoots {
        provider: provider(),
    };
    // Without a thread the first handshake reads them instead.
    let _ = std::thread::Builder::new()
        .name("scplay-tls-roots".into())
        .spawn(move || {
            let _ = lazy.verifier();
        });
}
