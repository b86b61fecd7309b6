/* SPDX-License-Identifier: MIT */
/*
 * TLS for the ng control channel: the server SSL_CTX (TLS 1.3 and 1.2 only, strongest suites
 * first, mandatory client certificates from one CA file), the suite selection for normal and FIPS
 * mode as a function of its own, the reason a handshake was refused, and the certificate subject
 * allow-list. No logging: errors come back as negative errno plus a reason text.
 */
#ifndef SLUICE_CONTROL_TLS_H
#define SLUICE_CONTROL_TLS_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/ssl.h>

/* What the TLS context is built from. Paths are read at build time (and again on reload). */
struct tls_server_config {
	const char *cert_file; /* server certificate chain, PEM (leaf first) */
	const char *key_file;  /* its private key, PEM, unencrypted */
	const char *ca_file;   /* CA(s) that issue client certificates, PEM */
	bool fips;	       /* approved suites and groups only */
};

/* The suites, groups and signature algorithms a context offers, as OpenSSL list strings. */
struct tls_suites {
	const char *tls13_ciphersuites; /* SSL_CTX_set_ciphersuites */
	const char *tls12_ciphers;	/* SSL_CTX_set_cipher_list */
	const char *groups;		/* SSL_CTX_set1_groups_list */
	const char *sigalgs;		/* SSL_CTX_set1_sigalgs_list; NULL: OpenSSL's default */
};

/*
 * Normal: TLS 1.3 AES-256-GCM, CHACHA20-POLY1305, AES-128-GCM; TLS 1.2 ECDHE with AES-GCM or
 * CHACHA20-POLY1305 only; groups X25519, P-256, P-384.
 * FIPS: AES-GCM only (no ChaCha20), groups P-256 and P-384 only (no X25519), ECDSA/RSA-PSS/RSA
 * PKCS#1 signatures with SHA-2 only.
 */
void tls_suites_select(bool fips, struct tls_suites *ret);

/*
 * Applies versions (1.2..1.3), suites, groups, server preference, no compression, no
 * renegotiation, no session tickets or cache to ctx. Returns 0 or -EINVAL with reason set.
 */
int tls_ctx_apply_policy(SSL_CTX *ctx, bool fips, char *reason, size_t reason_len);

/*
 * A server context: policy above, certificate and key (checked to match), client verification
 * (SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, purpose sslclient) against ca_file.
 * Returns 0 and *ret_ctx, or a negative errno with a reason naming the file and the OpenSSL error.
 */
int tls_server_ctx_new(const struct tls_server_config *cfg, SSL_CTX **ret_ctx, char *reason,
		       size_t reason_len);

/* Why a TLS connection was refused. */
enum tls_refusal {
	TLS_REFUSAL_NO_CLIENT_CERT = 0,
	TLS_REFUSAL_UNKNOWN_CA,		 /* client certificate not issued by the configured CA */
	TLS_REFUSAL_CERT_EXPIRED,	 /* expired or not yet valid */
	TLS_REFUSAL_BAD_CERT,		 /* any other verification failure */
	TLS_REFUSAL_PROTOCOL_VERSION,	 /* SSL 3.0, TLS 1.0, TLS 1.1 */
	TLS_REFUSAL_NO_SHARED_CIPHER,	 /* no common suite, group or signature algorithm */
	TLS_REFUSAL_NOT_TLS,		 /* plain bytes (ng in clear, HTTP, ...) on the TLS port */
	TLS_REFUSAL_SUBJECT_NOT_ALLOWED, /* verified, but not on the subject allow-list */
	TLS_REFUSAL_HANDSHAKE_TIMEOUT,
	TLS_REFUSAL_PEER_ABORTED, /* the peer closed or sent an alert during the handshake */
	TLS_REFUSAL_OTHER,
	TLS_REFUSAL__MAX,
};

/* "no_client_cert", "unknown_ca", ...: stable names for counters and logs. */
const char *tls_refusal_to_string(enum tls_refusal r);

/*
 * Classifies a failed SSL_do_handshake (ssl_error = SSL_get_error()) from the verify result and the
 * thread's OpenSSL error queue, which it consumes. detail gets the OpenSSL text ("" if none).
 */
enum tls_refusal tls_classify_handshake_failure(const SSL *ssl, int ssl_error, char *detail,
						size_t detail_len);

/* Longest subject string kept for a peer. */
#define TLS_SUBJECT_MAX 256

/*
 * The verified peer certificate's subject in RFC 2253 form ("CN=client,O=sluice test") and its
 * single common name ("" when it has none or more than one). Returns 0, -ENOENT without a peer
 * certificate, -ENAMETOOLONG when the subject does not fit TLS_SUBJECT_MAX.
 */
int tls_peer_subject(const SSL *ssl, char subject[static TLS_SUBJECT_MAX],
		     char common_name[static TLS_SUBJECT_MAX]);

/*
 * Subject allow-list: an entry containing '=' is a full subject in RFC 2253 form, compared exactly;
 * any other entry is a common name, compared exactly with the certificate's single CN. An empty
 * list allows every certificate the CA verified.
 */
bool tls_subject_allowed(const char *const *allow, size_t n_allow, const char *subject,
			 const char *common_name);

#endif
