// SPDX-License-Identifier: MIT
/*
 * bench-srtp: nanoseconds per packet for SRTP protect and unprotect of a 160-byte payload, per
 * suite, for (a) libsrtp2 through sluice's wrapper, (b) sluice's OpenSSL engine, (c) a bare EVP
 * loop making the engine's minimal cipher and MAC calls with no SRTP framing, replay or ROC work
 * (the practical floor) and (d) the naive EVP loop (see struct bare). Each figure is the median of
 * --runs interleaved runs of --packets packets, with min-max, in thread CPU time by default. The
 * timed loops are protect_loop() and unprotect_loop(), for callgrind. Usage: bench-srtp --help
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

enum impl { IMPL_LIBSRTP, IMPL_OPENSSL, IMPL_BARE, IMPL_NAIVE, _IMPL_MAX };
static const char *impl_names[_IMPL_MAX] = {"libsrtp2", "openssl", "bare-evp", "naive-evp"};

static unsigned int runs = 9, packets = 20000, warmup = 1;
static int only_suite = -1, only_impl = -1, only_op = -1;
static uint8_t *pkts; /* packets * SLOT */
static size_t pkt_len[1 << 20];

/*
 * The thread's CPU time by default: time spent preempted by other jobs on a shared machine is not
 * counted (--clock wall for CLOCK_MONOTONIC).
 */
static clockid_t clock_id = CLOCK_THREAD_CPUTIME_ID;

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(clock_id, &ts);
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

/*
 * Bare EVP loops: keyed contexts, the cipher and MAC calls per packet and nothing else (fixed IV
 * pattern, no SRTP framing, replay, ROC or stream lookup; the unprotect result of the tag compare
 * and of the GCM check is ignored because the tags are made up).
 *  - IMPL_BARE does the minimal calls, using the same technique as the engine: AES-CM via one
 *    AES-ECB call over the counter blocks and a 64-bit XOR (payloads <= 512 octets), HMAC-SHA1 by
 *    EVP_MD_CTX_copy_ex from precomputed ipad/opad states.
 *    GCM: IV-only re-init, the tag in and out as an OSSL_PARAM (set with the IV when opening).
 *  - IMPL_NAIVE is the textbook EVP loop the engine used before: AES-CTR with an IV-only
 *    EVP_CipherInit_ex2, HMAC by EVP_MAC_init(ctx, NULL, 0, NULL); GCM tags through
 *    EVP_CIPHER_CTX_ctrl.
 */
struct bare {
	EVP_CIPHER_CTX *cipher, *ecb;
	EVP_MAC_CTX *mac;
	EVP_MD_CTX *inner, *outer, *work;
	bool aead, naive;
	size_t tag_len;
};

static EVP_MD_CTX *bare_pad_state(EVP_MD *sha1, const uint8_t *key, uint8_t pad)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	uint8_t block[64];

	memset(block, pad, sizeof(block));
	for (int i = 0; i < 20; i++)
		block[i] ^= key[i];
	if (!md || EVP_DigestInit_ex2(md, sha1, NULL) != 1 ||
	    EVP_DigestUpdate(md, block, sizeof(block)) != 1)
		exit(1);
	return md;
}

static int bare_new(enum sluice_srtp_suite suite, bool encrypt, bool naive, struct bare *b)
{
	static const uint8_t key[32] = {1}, auth[20] = {2};
	size_t key_len = sluice_srtp_suite_key_len(suite);
	char digest[] = "SHA1";
	OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
			       OSSL_PARAM_construct_end()};
	EVP_CIPHER *alg, *ecb;
	EVP_MAC *hmac;
	EVP_MD *sha1;

	memset(b, 0, sizeof(*b));
	b->naive = naive;
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
	if (naive) {
		hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
		b->mac = hmac ? EVP_MAC_CTX_new(hmac) : NULL;
		EVP_MAC_free(hmac);
		if (!b->mac || EVP_MAC_init(b->mac, auth, sizeof(auth), params) != 1)
			return -EIO;
		return 0;
	}
	ecb = EVP_CIPHER_fetch(NULL, key_len == 16 ? "AES-128-ECB" : "AES-256-ECB", NULL);
	b->ecb = EVP_CIPHER_CTX_new();
	if (!ecb || !b->ecb || EVP_CipherInit_ex2(b->ecb, ecb, key, NULL, 1, NULL) != 1 ||
	    EVP_CIPHER_CTX_set_padding(b->ecb, 0) != 1)
		return -EIO;
	EVP_CIPHER_free(ecb);
	sha1 = EVP_MD_fetch(NULL, "SHA1", NULL);
	if (!sha1)
		return -EIO;
	b->inner = bare_pad_state(sha1, auth, 0x36);
	b->outer = bare_pad_state(sha1, auth, 0x5c);
	b->work = EVP_MD_CTX_new();
	EVP_MD_free(sha1);
	return b->work ? 0 : -EIO;
}

static void bare_free(struct bare *b)
{
	EVP_CIPHER_CTX_free(b->cipher);
	EVP_CIPHER_CTX_free(b->ecb);
	EVP_MAC_CTX_free(b->mac);
	EVP_MD_CTX_free(b->inner);
	EVP_MD_CTX_free(b->outer);
	EVP_MD_CTX_free(b->work);
}

/* GCM: IV-only re-init (with the expected tag as a parameter when opening), AAD, payload, tag. */
static int bare_gcm(struct bare *b, const uint8_t *iv, uint8_t *buf, size_t body, bool seal)
{
	uint8_t tag[16];
	OSSL_PARAM tag_param[] = {
	    OSSL_PARAM_construct_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG, tag, sizeof(tag)),
	    OSSL_PARAM_construct_end(),
	};
	int l;

	if (!seal)
		memcpy(tag, buf + body, sizeof(tag));
	if (EVP_CipherInit_ex2(b->cipher, NULL, NULL, iv, -1,
			       seal || b->naive ? NULL : tag_param) != 1 ||
	    (!seal && b->naive &&
	     EVP_CIPHER_CTX_ctrl(b->cipher, EVP_CTRL_AEAD_SET_TAG, 16, tag) != 1) ||
	    EVP_CipherUpdate(b->cipher, NULL, &l, buf, HDR) != 1 ||
	    EVP_CipherUpdate(b->cipher, buf + HDR, &l, buf + HDR, (int)body - HDR) != 1)
		return -EIO;
	if (!seal) {
		(void)EVP_CipherFinal_ex(b->cipher, buf + body, &l); /* tags are made up */
		return 0;
	}
	if (EVP_CipherFinal_ex(b->cipher, buf + body, &l) != 1)
		return -EIO;
	if (b->naive ? EVP_CIPHER_CTX_ctrl(b->cipher, EVP_CTRL_AEAD_GET_TAG, 16, tag) != 1
		     : EVP_CIPHER_CTX_get_params(b->cipher, tag_param) != 1)
		return -EIO;
	memcpy(buf + body, tag, sizeof(tag));
	return 0;
}

/* AES-CM keystream for payload (<= 512 octets): counter blocks through AES-ECB, XORed in. */
static int bare_cm(struct bare *b, const uint8_t *iv, uint8_t *p, size_t len)
{
	uint8_t ks[512] __attribute__((aligned(16)));
	size_t blocks = (len + 15) / 16, i = 0;
	int l;

	if (b->naive)
		return EVP_CipherInit_ex2(b->cipher, NULL, NULL, iv, -1, NULL) == 1 &&
			       EVP_CipherUpdate(b->cipher, p, &l, p, (int)len) == 1
			   ? 0
			   : -EIO;
	for (size_t k = 0; k < blocks; k++) {
		memcpy(ks + 16 * k, iv, 14);
		ks[16 * k + 14] = (uint8_t)(k >> 8);
		ks[16 * k + 15] = (uint8_t)k;
	}
	if (EVP_EncryptUpdate(b->ecb, ks, &l, ks, (int)(16 * blocks)) != 1)
		return -EIO;
	for (; i + 8 <= len; i += 8) {
		uint64_t w, k;

		memcpy(&w, p + i, 8);
		memcpy(&k, ks + i, 8);
		w ^= k;
		memcpy(p + i, &w, 8);
	}
	for (; i < len; i++)
		p[i] ^= ks[i];
	return 0;
}

/* HMAC-SHA1 over buf[0..len) and a 4-octet ROC. */
static int bare_hmac(struct bare *b, const uint8_t *buf, size_t len, uint8_t tag[20])
{
	static const uint8_t roc[4];
	uint8_t inner[20];
	size_t outl;

	if (b->naive)
		return EVP_MAC_init(b->mac, NULL, 0, NULL) == 1 &&
			       EVP_MAC_update(b->mac, buf, len) == 1 &&
			       EVP_MAC_update(b->mac, roc, 4) == 1 &&
			       EVP_MAC_final(b->mac, tag, &outl, 20) == 1
			   ? 0
			   : -EIO;
	if (EVP_MD_CTX_copy_ex(b->work, b->inner) != 1 ||
	    EVP_DigestUpdate(b->work, buf, len) != 1 || EVP_DigestUpdate(b->work, roc, 4) != 1 ||
	    EVP_DigestFinal_ex(b->work, inner, NULL) != 1 ||
	    EVP_MD_CTX_copy_ex(b->work, b->outer) != 1 ||
	    EVP_DigestUpdate(b->work, inner, 20) != 1 ||
	    EVP_DigestFinal_ex(b->work, tag, NULL) != 1)
		return -EIO;
	return 0;
}

static int bare_protect(struct bare *b, uint8_t *buf, size_t *len)
{
	uint8_t iv[16] = {0x33}, tag[20];

	iv[13] = buf[3];
	if (b->aead) {
		if (bare_gcm(b, iv, buf, *len, true) < 0)
			return -EIO;
	} else {
		if (bare_cm(b, iv, buf + HDR, *len - HDR) < 0 || bare_hmac(b, buf, *len, tag) < 0)
			return -EIO;
		memcpy(buf + *len, tag, b->tag_len);
	}
	*len += b->tag_len;
	return 0;
}

static int bare_unprotect(struct bare *b, uint8_t *buf, size_t *len)
{
	uint8_t iv[16] = {0x33}, tag[20];
	size_t body = *len - b->tag_len;

	iv[13] = buf[3];
	if (b->aead) {
		if (bare_gcm(b, iv, buf, body, false) < 0)
			return -EIO;
	} else {
		if (bare_hmac(b, buf, body, tag) < 0)
			return -EIO;
		(void)CRYPTO_memcmp(tag, buf + body, b->tag_len);
		if (bare_cm(b, iv, buf + HDR, body - HDR) < 0)
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

/*
 * The timed loops, kept out of line so that callgrind can count them alone
 * (--toggle-collect=protect_loop or unprotect_loop, see scripts/bench-crypto --callgrind).
 */
static __attribute__((noinline)) void protect_loop(enum impl impl, struct sluice_srtp_ctx *ctx,
						   struct bare *b)
{
	for (unsigned int i = 0; i < packets; i++) {
		uint8_t *p = pkts + (size_t)i * SLOT;
		size_t len = HDR + PAYLOAD;
		int r;

		fill_rtp(p, (uint16_t)i);
		r = b ? bare_protect(b, p, &len) : sluice_srtp_protect_rtp(ctx, p, &len, SLOT);
		if (r < 0) {
			fprintf(stderr, "Failed to protect with %s: %d\n", impl_names[impl], r);
			exit(1);
		}
		pkt_len[i] = len;
	}
}

static __attribute__((noinline)) void unprotect_loop(enum impl impl, struct sluice_srtp_ctx *ctx,
						     struct bare *b)
{
	uint8_t work[SLOT];

	for (unsigned int i = 0; i < packets; i++) {
		size_t len = pkt_len[i];
		int r;

		memcpy(work, pkts + (size_t)i * SLOT, len);
		r = b ? bare_unprotect(b, work, &len) : sluice_srtp_unprotect_rtp(ctx, work, &len);
		if (r < 0) {
			fprintf(stderr, "Failed to unprotect with %s: %d\n", impl_names[impl], r);
			exit(1);
		}
	}
}

/* One run: ns per packet for protect (unprotect = false) or unprotect. */
static double one_run(enum impl impl, enum sluice_srtp_suite suite, bool unprotect)
{
	struct sluice_srtp_ctx *out = NULL, *in = NULL;
	bool bare = impl == IMPL_BARE || impl == IMPL_NAIVE;
	struct bare bout, bin;
	double t0, t1;

	if (bare) {
		if (bare_new(suite, true, impl == IMPL_NAIVE, &bout) < 0 ||
		    bare_new(suite, false, impl == IMPL_NAIVE, &bin) < 0)
			exit(1);
	} else {
		out = ctx_new(impl, suite, SLUICE_SRTP_OUTBOUND);
		in = ctx_new(impl, suite, SLUICE_SRTP_INBOUND);
	}
	/* protect phase: each packet copied from a template and protected (kept for unprotect) */
	t0 = now_ns();
	protect_loop(impl, out, bare ? &bout : NULL);
	t1 = now_ns();
	if (unprotect) {
		t0 = now_ns();
		unprotect_loop(impl, in, bare ? &bin : NULL);
		t1 = now_ns();
	}
	if (bare) {
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

static struct stat3 stat_of(double *v, unsigned int n)
{
	struct stat3 s;

	qsort(v, n, sizeof(v[0]), cmp_double);
	s.min = v[0];
	s.max = v[n - 1];
	s.med = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	return s;
}

/*
 * Runs of the selected implementations interleaved (run r of each before run r + 1 of any), so
 * that a burst of load from elsewhere on the machine spreads over all columns instead of one.
 */
static void measure(enum sluice_srtp_suite suite, bool unprotect, struct stat3 st[_IMPL_MAX])
{
	static double v[_IMPL_MAX][MAX_RUNS];

	for (unsigned int r = 0; r < warmup + runs; r++) {
		for (int i = 0; i < _IMPL_MAX; i++) {
			double ns;

			if (only_impl >= 0 && i != only_impl)
				continue;
			ns = one_run(i, suite, unprotect);
			if (r >= warmup)
				v[i][r - warmup] = ns;
		}
	}
	for (int i = 0; i < _IMPL_MAX; i++)
		if (only_impl < 0 || i == only_impl)
			st[i] = stat_of(v[i], runs);
}

static int lookup(const char *name, const char *const *names, int n)
{
	for (int i = 0; i < n; i++)
		if (strcmp(name, names[i]) == 0)
			return i;
	return -2;
}

static void usage(const char *argv0)
{
	fprintf(stderr,
		"Usage: %s [--runs 1..%d] [--packets 1..65536] [--warmup N] [--suite NAME]\n"
		"       [--impl libsrtp2|openssl|bare-evp|naive-evp] [--op protect|unprotect]\n"
		"       [--clock cpu|wall]\n",
		argv0, MAX_RUNS);
	exit(2);
}

int main(int argc, char **argv)
{
	static const char *const ops[] = {"protect", "unprotect"};

	for (int i = 1; i < argc; i += 2) {
		enum sluice_srtp_suite suite;

		if (i + 1 >= argc)
			usage(argv[0]);
		if (strcmp(argv[i], "--runs") == 0)
			runs = (unsigned int)strtoul(argv[i + 1], NULL, 0);
		else if (strcmp(argv[i], "--packets") == 0)
			packets = (unsigned int)strtoul(argv[i + 1], NULL, 0);
		else if (strcmp(argv[i], "--warmup") == 0)
			warmup = (unsigned int)strtoul(argv[i + 1], NULL, 0);
		else if (strcmp(argv[i], "--suite") == 0)
			only_suite =
			    sluice_srtp_suite_from_name(argv[i + 1], &suite) < 0 ? -2 : (int)suite;
		else if (strcmp(argv[i], "--impl") == 0)
			only_impl = lookup(argv[i + 1], impl_names, _IMPL_MAX);
		else if (strcmp(argv[i], "--op") == 0)
			only_op = lookup(argv[i + 1], ops, 2);
		else if (strcmp(argv[i], "--clock") == 0 && strcmp(argv[i + 1], "wall") == 0)
			clock_id = CLOCK_MONOTONIC;
		else if (strcmp(argv[i], "--clock") == 0 && strcmp(argv[i + 1], "cpu") == 0)
			clock_id = CLOCK_THREAD_CPUTIME_ID;
		else
			usage(argv[0]);
	}
	if (runs < 1 || runs > MAX_RUNS || packets < 1 || packets > 65536 || only_suite == -2 ||
	    only_impl == -2 || only_op == -2)
		usage(argv[0]);
	pkts = malloc((size_t)packets * SLOT);
	if (!pkts)
		return 1;
	printf("# %u-byte payload, %u packets per run, median of %u interleaved runs (min-max), "
	       "ns/packet"
	       " of %s time\n",
	       PAYLOAD, packets, runs, clock_id == CLOCK_MONOTONIC ? "wall" : "thread CPU");
	printf("%-24s %-9s %-18s %-18s %-18s %-18s %8s %8s\n", "suite", "op", "libsrtp2", "openssl",
	       "bare-evp", "naive-evp", "lib/ossl", "ossl/bare");
	for (int s = 0; s < _SLUICE_SRTP_SUITE_MAX; s++) {
		if (only_suite >= 0 && s != only_suite)
			continue;
		for (int op = 0; op < 2; op++) {
			struct stat3 st[_IMPL_MAX] = {0};
			char cell[_IMPL_MAX][32];

			if (only_op >= 0 && op != only_op)
				continue;
			measure(s, op, st);
			for (int i = 0; i < _IMPL_MAX; i++) {
				if (only_impl >= 0 && i != only_impl)
					snprintf(cell[i], sizeof(cell[i]), "-");
				else
					snprintf(cell[i], sizeof(cell[i]), "%.0f (%.0f-%.0f)",
						 st[i].med, st[i].min, st[i].max);
			}
			printf("%-24s %-9s %-18s %-18s %-18s %-18s", sluice_srtp_suite_name(s),
			       ops[op], cell[0], cell[1], cell[2], cell[3]);
			if (only_impl < 0)
				printf(" %7.2fx %7.2fx",
				       st[IMPL_LIBSRTP].med / st[IMPL_OPENSSL].med,
				       st[IMPL_OPENSSL].med / st[IMPL_BARE].med);
			printf("\n");
			fflush(stdout);
		}
	}
	free(pkts);
	return 0;
}
