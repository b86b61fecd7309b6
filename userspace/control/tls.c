// SPDX-License-Identifier: MIT
/*
 * The control channel's TLS policy and server context; see tls.h. Everything here is setup and
 * inspection: the non-blocking handshakes themselves run in ctl_server.c.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "control/tls.h"

/* Strongest first: 256-bit AES-GCM, then ChaCha20 (fast without AES-NI), then 128-bit AES-GCM. */
static const struct tls_suites suites_normal = {
    .tls13_ciphersuites = "TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:"
			  "TLS_AES_128_GCM_SHA256",
    .tls12_ciphers = "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
		     "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"
		     "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256",
    .groups = "X25519:P-256:P-384",
    .sigalgs = NULL,
};

/* FIPS 140: AES-GCM, NIST curves, SHA-2 signatures; no ChaCha20, X25519 or Ed25519. */
static const struct tls_suites suites_fips = {
    .tls13_ciphersuites = "TLS_AES_256_GCM_SHA384:TLS_AES_128_GCM_SHA256",
    .tls12_ciphers = "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
		     "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256",
    .groups = "P-256:P-384",
    .sigalgs = "ECDSA+SHA256:ECDSA+SHA384:ECDSA+SHA512:"
	       "rsa_pss_rsae_sha256:rsa_pss_rsae_sha384:rsa_pss_rsae_sha512:"
	       "rsa_pss_pss_sha256:rsa_pss_pss_sha384:rsa_pss_pss_sha512:"
	       "RSA+SHA256:RSA+SHA384:RSA+SHA512",
};

void tls_suites_select(bool fips, struct tls_suites *ret)
{
	*ret = fips ? suites_fips : suites_normal;
}

/* "<what>: <first OpenSSL error>" into reason; clears the error queue. */
static void set_reason(char *reason, size_t reason_len, const char *what, const char *arg)
{
	char err[256] = "";
	unsigned long e = ERR_peek_error();

	if (e)
		ERR_error_string_n(e, err, sizeof(err));
	ERR_clear_error();
	if (!reason || !reason_len)
		return;
	snprintf(reason, reason_len, "%s%s%s%s%s", what, arg ? " " : "", arg ? arg : "",
		 *err ? ": " : "", err);
}

int tls_ctx_apply_policy(SSL_CTX *ctx, bool fips, char *reason, size_t reason_len)
{
	struct tls_suites s;

	tls_suites_select(fips, &s);
	if (!SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) ||
	    !SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION)) {
		set_reason(reason, reason_len, "Cannot restrict protocol versions", NULL);
		return -EINVAL;
	}
	if (!SSL_CTX_set_ciphersuites(ctx, s.tls13_ciphersuites)) {
		set_reason(reason, reason_len, "Cannot set TLS 1.3 suites", s.tls13_ciphersuites);
		return -EINVAL;
	}
	if (!SSL_CTX_set_cipher_list(ctx, s.tls12_ciphers)) {
		set_reason(reason, reason_len, "Cannot set TLS 1.2 ciphers", s.tls12_ciphers);
		return -EINVAL;
	}
	if (!SSL_CTX_set1_groups_list(ctx, s.groups)) {
		set_reason(reason, reason_len, "Cannot set groups", s.groups);
		return -EINVAL;
	}
	if (s.sigalgs && !SSL_CTX_set1_sigalgs_list(ctx, s.sigalgs)) {
		set_reason(reason, reason_len, "Cannot set signature algorithms", s.sigalgs);
		return -EINVAL;
	}
	/*
	 * Long-lived control connections: no resumption (every connection shows its certificate),
	 * which also keeps session state out of reach of a peer.
	 */
	SSL_CTX_set_options(ctx, SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_COMPRESSION |
				     SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_TICKET);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_num_tickets(ctx, 0);
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
				  SSL_MODE_RELEASE_BUFFERS);
	return 0;
}

static int ctx_load_files(SSL_CTX *ctx, const struct tls_server_config *cfg, char *reason,
			  size_t reason_len)
{
	STACK_OF(X509_NAME) * ca_names;

	if (!cfg->cert_file || !cfg->key_file || !cfg->ca_file) {
		snprintf(reason, reason_len, "TLS needs a certificate, a key and a CA file");
		return -EINVAL;
	}
	if (SSL_CTX_use_certificate_chain_file(ctx, cfg->cert_file) != 1) {
		set_reason(reason, reason_len, "Cannot load certificate", cfg->cert_file);
		return -EINVAL;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, cfg->key_file, SSL_FILETYPE_PEM) != 1) {
		set_reason(reason, reason_len, "Cannot load private key", cfg->key_file);
		return -EINVAL;
	}
	if (SSL_CTX_check_private_key(ctx) != 1) {
		set_reason(reason, reason_len, "Private key does not match certificate",
			   cfg->key_file);
		return -EINVAL;
	}
	if (SSL_CTX_load_verify_locations(ctx, cfg->ca_file, NULL) != 1) {
		set_reason(reason, reason_len, "Cannot load CA file", cfg->ca_file);
		return -EINVAL;
	}
	ca_names = SSL_load_client_CA_file(cfg->ca_file);
	if (!ca_names) {
		set_reason(reason, reason_len, "No CA certificate in", cfg->ca_file);
		return -EINVAL;
	}
	SSL_CTX_set_client_CA_list(ctx, ca_names);
	return 0;
}

int tls_server_ctx_new(const struct tls_server_config *cfg, SSL_CTX **ret_ctx, char *reason,
		       size_t reason_len)
{
	SSL_CTX *ctx;
	int r;

	ERR_clear_error();
	ctx = SSL_CTX_new(TLS_server_method());
	if (!ctx) {
		set_reason(reason, reason_len, "Cannot create TLS context", NULL);
		return -ENOMEM;
	}
	r = tls_ctx_apply_policy(ctx, cfg->fips, reason, reason_len);
	if (r < 0)
		goto free_ctx;
	r = ctx_load_files(ctx, cfg, reason, reason_len);
	if (r < 0)
		goto free_ctx;
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
	SSL_CTX_set_verify_depth(ctx, 4);
	/* Client certificates must be fit for client authentication (EKU clientAuth when present).
	 */
	if (!SSL_CTX_set_purpose(ctx, X509_PURPOSE_SSL_CLIENT)) {
		set_reason(reason, reason_len, "Cannot require the client purpose", NULL);
		r = -EINVAL;
		goto free_ctx;
	}
	*ret_ctx = ctx;
	return 0;

free_ctx:
	SSL_CTX_free(ctx);
	return r;
}

static const char *const refusal_names[TLS_REFUSAL__MAX] = {
    [TLS_REFUSAL_NO_CLIENT_CERT] = "no_client_cert",
    [TLS_REFUSAL_UNKNOWN_CA] = "unknown_ca",
    [TLS_REFUSAL_CERT_EXPIRED] = "cert_expired",
    [TLS_REFUSAL_BAD_CERT] = "bad_cert",
    [TLS_REFUSAL_PROTOCOL_VERSION] = "protocol_version",
    [TLS_REFUSAL_NO_SHARED_CIPHER] = "no_shared_cipher",
    [TLS_REFUSAL_NOT_TLS] = "not_tls",
    [TLS_REFUSAL_SUBJECT_NOT_ALLOWED] = "subject_not_allowed",
    [TLS_REFUSAL_HANDSHAKE_TIMEOUT] = "handshake_timeout",
    [TLS_REFUSAL_PEER_ABORTED] = "peer_aborted",
    [TLS_REFUSAL_OTHER] = "other",
};

const char *tls_refusal_to_string(enum tls_refusal r)
{
	if ((unsigned)r >= TLS_REFUSAL__MAX)
		return "unknown";
	return refusal_names[r];
}

static enum tls_refusal classify_verify_result(long v)
{
	switch (v) {
	case X509_V_ERR_CERT_HAS_EXPIRED:
	case X509_V_ERR_CERT_NOT_YET_VALID:
		return TLS_REFUSAL_CERT_EXPIRED;
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
	case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
	case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
	case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
	case X509_V_ERR_CERT_UNTRUSTED:
		return TLS_REFUSAL_UNKNOWN_CA;
	default:
		return TLS_REFUSAL_BAD_CERT;
	}
}

static enum tls_refusal classify_ssl_reason(int reason)
{
	switch (reason) {
	case SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE:
		return TLS_REFUSAL_NO_CLIENT_CERT;
	case SSL_R_UNSUPPORTED_PROTOCOL:
	case SSL_R_VERSION_TOO_LOW:
	case SSL_R_NO_PROTOCOLS_AVAILABLE:
	case SSL_R_UNSUPPORTED_SSL_VERSION:
		return TLS_REFUSAL_PROTOCOL_VERSION;
	case SSL_R_NO_SHARED_CIPHER:
	case SSL_R_NO_SHARED_GROUPS:
	case SSL_R_NO_SUITABLE_KEY_SHARE:
	case SSL_R_NO_SHARED_SIGNATURE_ALGORITHMS:
	case SSL_R_NO_SUITABLE_SIGNATURE_ALGORITHM:
		return TLS_REFUSAL_NO_SHARED_CIPHER;
	case SSL_R_WRONG_VERSION_NUMBER:
	case SSL_R_HTTP_REQUEST:
	case SSL_R_HTTPS_PROXY_REQUEST:
	case SSL_R_UNKNOWN_PROTOCOL:
	case SSL_R_PACKET_LENGTH_TOO_LONG:
	case SSL_R_RECORD_LENGTH_MISMATCH:
	case SSL_R_WRONG_SSL_VERSION:
	case SSL_R_UNEXPECTED_RECORD:
	case SSL_R_LENGTH_TOO_SHORT:
	case SSL_R_BAD_PACKET_LENGTH:
		return TLS_REFUSAL_NOT_TLS;
	default:
		/* An alert from the peer: it gave up on us (e.g. it does not trust our
		 * certificate). */
		if (reason >= SSL_AD_REASON_OFFSET && reason < SSL_AD_REASON_OFFSET + 256)
			return TLS_REFUSAL_PEER_ABORTED;
		return TLS_REFUSAL_OTHER;
	}
}

enum tls_refusal tls_classify_handshake_failure(const SSL *ssl, int ssl_error, char *detail,
						size_t detail_len)
{
	enum tls_refusal r = TLS_REFUSAL_OTHER;
	unsigned long e = ERR_peek_error();
	long verify = SSL_get_verify_result(ssl);

	if (detail && detail_len)
		detail[0] = '\0';
	if (e && detail && detail_len)
		ERR_error_string_n(e, detail, detail_len);

	if (ssl_error == SSL_ERROR_SYSCALL || ssl_error == SSL_ERROR_ZERO_RETURN) {
		/* EOF or a reset before the handshake finished. */
		r = TLS_REFUSAL_PEER_ABORTED;
	} else if (verify != X509_V_OK) {
		r = classify_verify_result(verify);
		if (detail && detail_len)
			snprintf(detail, detail_len, "certificate verify error %ld: %s", verify,
				 X509_verify_cert_error_string(verify));
	} else if (e && ERR_GET_LIB(e) == ERR_LIB_SSL) {
		r = classify_ssl_reason(ERR_GET_REASON(e));
	}
	ERR_clear_error();
	return r;
}

int tls_peer_subject(const SSL *ssl, char subject[static TLS_SUBJECT_MAX],
		     char common_name[static TLS_SUBJECT_MAX])
{
	X509 *cert = SSL_get0_peer_certificate(ssl);
	const X509_NAME *name;
	const ASN1_STRING *cn_data;
	BIO *bio;
	int cn_idx, n;

	if (!cert)
		return -ENOENT;
	name = X509_get_subject_name(cert);
	bio = BIO_new(BIO_s_mem());
	if (!bio)
		return -ENOMEM;
	/* The same form as `openssl x509 -noout -subject -nameopt RFC2253` prints. */
	if (X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253) < 0) {
		BIO_free(bio);
		return -EINVAL;
	}
	n = BIO_read(bio, subject, TLS_SUBJECT_MAX);
	BIO_free(bio);
	if (n < 0)
		n = 0;
	if (n >= TLS_SUBJECT_MAX)
		return -ENAMETOOLONG;
	subject[n] = '\0';

	common_name[0] = '\0';
	cn_idx = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
	if (cn_idx < 0 || X509_NAME_get_index_by_NID(name, NID_commonName, cn_idx) >= 0)
		return 0; /* none, or ambiguous: no CN match possible */
	cn_data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, cn_idx));
	n = ASN1_STRING_length(cn_data);
	/* Refuse embedded NULs and names that do not fit rather than truncate them. */
	if (n <= 0 || n >= TLS_SUBJECT_MAX || memchr(ASN1_STRING_get0_data(cn_data), 0, (size_t)n))
		return 0;
	memcpy(common_name, ASN1_STRING_get0_data(cn_data), (size_t)n);
	common_name[n] = '\0';
	return 0;
}

bool tls_subject_allowed(const char *const *allow, size_t n_allow, const char *subject,
			 const char *common_name)
{
	size_t i;

	if (n_allow == 0)
		return true;
	for (i = 0; i < n_allow; i++) {
		if (strchr(allow[i], '=')) {
			if (subject && strcmp(allow[i], subject) == 0)
				return true;
		} else if (common_name && *common_name && strcmp(allow[i], common_name) == 0) {
			return true;
		}
	}
	return false;
}
