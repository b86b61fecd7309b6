// SPDX-License-Identifier: MIT
/*
 * bench-srtp: nanoseconds per packet for SRTP protect and unprotect of a 160-byte payload, per
 * suite, for (a) libsrtp2 through sluice's wrapper, (b) sluice's OpenSSL engine and (c) a bare
 * OpenSSL EVP loop making the same cipher and MAC calls with no SRTP framing, replay or ROC work
 * (the practical floor). Each figure is the median of --runs runs of --packets packets, with
 * min-max. Usage: bench-srtp [--runs N] [--packets N]
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "srtp/srtp.h"

#define PAYLOAD	 160
#define HDR	 12
#define SLOT	 256
#define MAX_RUNS 64

enum impl { IMPL_LIBSRTP, IMPL_OPENSSL, IMPL_BARE, _IMPL_MAX };
static const char *impl_names[_IMPL_MAX] = {"libsrtp2", "openssl", "bare-evp"};

static unsigned int runs = 9, packets = 20000;
static uint8_t *pkts; /* packets * SLOT */
static size_t pkt_len[1 << 20];

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void fill_rtp(uint8_t *buf, uint16_t seq)
{
	memset(buf, 0x5a, HDR + PAYLOAD);
	buf[0] = 0x80;
	buf[1] = 0;
	buf[2] = seq >> 8;
	buf[3] = (uint8_t)seq;
	buf[8] = 0x12;
	buf[9] = 0x34;
	buf[10] = 0x56;
	buf[11] = 0x78;
}

/* Bare EVP: keyed contexts, the same calls the engine makes per packet, no SRTP bookkeeping. */
struct bare {
	EVP_CIPHER_CTX *cipher;
	EVP_MAC_CTX *mac;
	bool aead;
	size_t tag_len;
};

static int bare_new(enum sluice_srtp_suite suite, bool encrypt, struct bare *b)
{
	static const uint8_t key[32] = {1}, auth[20] = {2};
	size_t key_len = sluice_srtp_suite_key_len(suite);
	char digest[] = "SHA1";
	OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
			       OSSL_PARAM_construct_end()};
	EVP_CIPHER *alg;
	EVP_MAC *hmac;

	memset(b, 0, sizeof(*b));
	b->aead = suite >= SLUICE_SRTP_AEAD_AES_128_GCM;
	b->tag_len = b->aead ? 16
			     : (suite == SLUICE_SRTP_AES_CM_128_HMAC_SHA1_32 ||
					suite == SLUICE_SRTP_AES_256_CM_HMAC_SHA1_32
				    ? 4
				    : 10);
	alg = EVP_CIPHER_fetch(NULL,
			       b->aead ? (key_len == 16 ? "AES-128-GCM" : "AES-256-GCM")
				       : (key_len == 16 ? "AES-128-CTR" : "AES-256-CTR"),
			       NULL);
	b->cipher = EVP_CIPHER_CTX_new();
	if (!alg || !b->cipher ||
	    EVP_CipherInit_ex2(b->cipher, alg, key, NULL, b->aead ? encrypt : 1, NULL) != 1)
		return -EIO;
	EVP_CIPHER_free(alg);
	if (b->aead)
		return 0;
	hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	b->mac = hmac ? EVP_MAC_CTX_new(hmac) : NULL;
	EVP_MAC_free(hmac);
	if (!b->mac || EVP_MAC_init(b->mac, auth, sizeof(auth), params) != 1)
		return -EIO;
	return 0;
}

static void bare_free(struct bare *b)
{
	EVP_CIPHER_CTX_free(b->cipher);
	EVP_MAC_CTX_free(b->mac);
}

static int bare_protect(struct bare *b, uint8_t *buf, size_t *len)
{
	uint8_t iv[16] = {0x33}, roc[4] = {0}, tag[20];
	size_t outl;
	int l;

	iv[15] = buf[3];
	if (b->aead) {
		if (EVP_CipherInit_ex2(b->cipher, NULL, NULL, iv, -1, NULL) != 1 ||
		    EVP_CipherUpdate(b->cipher, NULL, &l, buf, HDR) != 1 ||
		    EVP_CipherUpdate(b->cipher, buf + HDR, &l, buf + HDR, (int)*len - HDR) != 1 ||
		    EVP_CipherFinal_ex(b->cipher, buf + *len, &l) != 1 ||
		    EVP_CIPHER_CTX_ctrl(b->cipher, EVP_CTRL_AEAD_GET_TAG, 16, buf + *len) != 1)
			return -EIO;
	} else {
		if (EVP_CipherInit_ex2(b->cipher, NULL, NULL, iv, -1, NULL) != 1 ||
		    EVP_CipherUpdate(b->cipher, buf + HDR, &l, buf + HDR, (int)*len - HDR) != 1 ||
		    EVP_MAC_init(b->mac, NULL, 0, NULL) != 1 ||
		    EVP_MAC_update(b->mac, buf, *len) != 1 || EVP_MAC_update(b->mac, roc, 4) != 1 ||
		    EVP_MAC_final(b->mac, tag, &outl, sizeof(tag)) != 1)
			return -EIO;
		memcpy(buf + *len, tag, b->tag_len);
	}
	*len += b->tag_len;
	return 0;
}

static int bare_unprotect(struct bare *b, uint8_t *buf, size_t *len)
{
	uint8_t iv[16] = {0x33}, roc[4] = {0}, tag[20];
	size_t body = *len - b->tag_len, outl;
	int l;

	iv[15] = buf[3];
	if (b->aead) {
		memcpy(tag, buf + body, 16);
		if (EVP_CipherInit_ex2(b->cipher, NULL, NULL, iv, -1, NULL) != 1 ||
		    EVP_CIPHER_CTX_ctrl(b->cipher, EVP_CTRL_AEAD_SET_TAG, 16, tag) != 1 ||
		    EVP_CipherUpdate(b->cipher, NULL, &l, buf, HDR) != 1 ||
		    EVP_CipherUpdate(b->cipher, buf + HDR, &l, buf + HDR, (int)body - HDR) != 1)
			return -EIO;
		(void)EVP_CipherFinal_ex(b->cipher, buf + body, &l); /* tags are fake here */
	} else {
		if (EVP_MAC_init(b->mac, NULL, 0, NULL) != 1 ||
		    EVP_MAC_update(b->mac, buf, body) != 1 || EVP_MAC_update(b->mac, roc, 4) != 1 ||
		    EVP_MAC_final(b->mac, tag, &outl, sizeof(tag)) != 1)
			return -EIO;
		(void)CRYPTO_memcmp(tag, buf + body, b->tag_len);
		if (EVP_CipherInit_ex2(b->cipher, NULL, NULL, iv, -1, NULL) != 1 ||
		    EVP_CipherUpdate(b->cipher, buf + HDR, &l, buf + HDR, (int)body - HDR) != 1)
			return -EIO;
	}
	*len = body;
	return 0;
}

static struct sluice_srtp_ctx *ctx_new(enum impl impl, enum sluice_srtp_suite suite,
				       enum sluice_srtp_direction dir)
{
	static const uint8_t key[32] = {7}, salt[14] = {9};
	struct sluice_srtp_ctx *ctx = NULL;

	if (sluice_srtp_ctx_new(impl == IMPL_LIBSRTP ? SLUICE_SRTP_LIBSRTP : SLUICE_SRTP_OPENSSL,
				suite, dir, key, sluice_srtp_suite_key_len(suite), salt,
				sluice_srtp_suite_salt_len(suite), NULL, &ctx) < 0) {
		fprintf(stderr, "Failed to create %s context for %s\n", impl_names[impl],
			sluice_srtp_suite_name(suite));
		exit(1);
	}
	return ctx;
}

/* One run: ns per packet for protect (unprotect = false) or unprotect. */
static double one_run(enum impl impl, enum sluice_srtp_suite suite, bool unprotect)
{
	struct sluice_srtp_ctx *out = NULL, *in = NULL;
	struct bare bout, bin;
	uint8_t work[SLOT];
	double t0, t1;

	if (impl == IMPL_BARE) {
		if (bare_new(suite, true, &bout) < 0 || bare_new(suite, false, &bin) < 0)
			exit(1);
	} else {
		out = ctx_new(impl, suite, SLUICE_SRTP_OUTBOUND);
		in = ctx_new(impl, suite, SLUICE_SRTP_INBOUND);
	}
	/* protect phase: each packet copied from a template and protected (kept for unprotect) */
	t0 = now_ns();
	for (unsigned int i = 0; i < packets; i++) {
		uint8_t *p = pkts + (size_t)i * SLOT;
		size_t len = HDR + PAYLOAD;
		int r;

		fill_rtp(p, (uint16_t)i);
		r = impl == IMPL_BARE ? bare_protect(&bout, p, &len)
				      : sluice_srtp_protect_rtp(out, p, &len, SLOT);
		if (r < 0) {
			fprintf(stderr, "Failed to protect: %d\n", r);
			exit(1);
		}
		pkt_len[i] = len;
	}
	t1 = now_ns();
	if (unprotect) {
		t0 = now_ns();
		for (unsigned int i = 0; i < packets; i++) {
			size_t len = pkt_len[i];
			int r;

			memcpy(work, pkts + (size_t)i * SLOT, len);
			r = impl == IMPL_BARE ? bare_unprotect(&bin, work, &len)
					      : sluice_srtp_unprotect_rtp(in, work, &len);
			if (r < 0) {
				fprintf(stderr, "Failed to unprotect: %d\n", r);
				exit(1);
			}
		}
		t1 = now_ns();
	}
	if (impl == IMPL_BARE) {
		bare_free(&bout);
		bare_free(&bin);
	}
	sluice_srtp_ctx_free(out);
	sluice_srtp_ctx_free(in);
	return (t1 - t0) / packets;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

struct stat3 {
	double med, min, max;
};

static struct stat3 measure(enum impl impl, enum sluice_srtp_suite suite, bool unprotect)
{
	double v[MAX_RUNS];
	struct stat3 s;

	one_run(impl, suite, unprotect); /* warm-up */
	for (unsigned int r = 0; r < runs; r++)
		v[r] = one_run(impl, suite, unprotect);
	qsort(v, runs, sizeof(v[0]), cmp_double);
	s.min = v[0];
	s.max = v[runs - 1];
	s.med = runs % 2 ? v[runs / 2] : (v[runs / 2 - 1] + v[runs / 2]) / 2;
	return s;
}

int main(int argc, char **argv)
{
	for (int i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--runs") == 0)
			runs = (unsigned int)strtoul(argv[i + 1], NULL, 0);
		else if (strcmp(argv[i], "--packets") == 0)
			packets = (unsigned int)strtoul(argv[i + 1], NULL, 0);
	}
	if (runs < 1 || runs > MAX_RUNS || packets < 1 || packets > 65536) {
		fprintf(stderr, "Usage: %s [--runs 1..%d] [--packets 1..65536]\n", argv[0],
			MAX_RUNS);
		return 2;
	}
	pkts = malloc((size_t)packets * SLOT);
	if (!pkts)
		return 1;
	printf("# %u-byte payload, %u packets per run, median of %u runs (min-max), ns/packet\n",
	       PAYLOAD, packets, runs);
	printf("%-24s %-9s %-22s %-22s %-22s %8s %8s\n", "suite", "op", "libsrtp2", "openssl",
	       "bare-evp", "lib/ossl", "ossl/bare");
	for (unsigned int s = 0; s < _SLUICE_SRTP_SUITE_MAX; s++) {
		for (int op = 0; op < 2; op++) {
			struct stat3 st[_IMPL_MAX];
			char cell[_IMPL_MAX][32];

			for (int i = 0; i < _IMPL_MAX; i++) {
				st[i] = measure(i, s, op);
				snprintf(cell[i], sizeof(cell[i]), "%.0f (%.0f-%.0f)", st[i].med,
					 st[i].min, st[i].max);
			}
			printf("%-24s %-9s %-22s %-22s %-22s %7.2fx %7.2fx\n",
			       sluice_srtp_suite_name(s), op ? "unprotect" : "protect", cell[0],
			       cell[1], cell[2], st[IMPL_LIBSRTP].med / st[IMPL_OPENSSL].med,
			       st[IMPL_OPENSSL].med / st[IMPL_BARE].med);
			fflush(stdout);
		}
	}
	free(pkts);
	return 0;
}
