// SPDX-License-Identifier: MIT
/*
 * The SRTP side of the admin requests: a leg's `*_srtp`, `*_rx_key`, `*_tx_key`, `*_rx_mki`,
 * `*_tx_mki` parameters of `session add`, and `session rekey`. Keys arrive base64 (key || salt,
 * as SDES writes them) and go straight into SRTP contexts; a tx key nobody gave is drawn from
 * the CSPRNG (RAND_priv_bytes) and returned once in the reply. Every decoded key buffer is wiped
 * before it goes out of scope, and no key is ever logged.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "daemon/base64.h"
#include "daemon/commands.h"

#define KEY_SALT_MAX (SLUICE_SRTP_MAX_KEY_LEN + SLUICE_SRTP_MAX_SALT_LEN)
/* How long `session rekey` waits for the worker to take a new context over. */
#define REKEY_WAIT_MS 100

/* "ID:LEN" (RFC 4568 section 6.1): the MKI value ID in LEN (1..4) bytes, big-endian. */
static int parse_mki(const char *s, struct sluice_srtp_mki *ret)
{
	unsigned long long id, len;
	char *end;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	id = strtoull(s, &end, 10);
	if (errno || *end != ':' || end[1] < '1' || end[1] > '9')
		return -EINVAL;
	len = strtoull(end + 1, &end, 10);
	if (errno || *end || len < 1 || len > SLUICE_SRTP_MAX_MKI_LEN ||
	    (len < 8 && id >> (8 * len)))
		return -EINVAL;
	ret->len = (uint8_t)len;
	for (unsigned i = 0; i < len; i++)
		ret->id[i] = (uint8_t)(id >> (8 * (len - 1 - i)));
	return 0;
}

/*
 * One direction's context. b64 NULL: generate a key (generated_b64 receives it, base64) or,
 * when generated_b64 is NULL too, no context (*ret_ctx = NULL).
 */
static int make_ctx(const struct commands_ctx *ctx, enum sluice_srtp_suite suite,
		    enum sluice_srtp_direction direction, const char *b64,
		    const struct sluice_srtp_mki *mki, char *generated_b64,
		    struct sluice_srtp_ctx **ret_ctx, const char **ret_reason)
{
	size_t key_len = sluice_srtp_suite_key_len(suite),
	       salt_len = sluice_srtp_suite_salt_len(suite);
	uint8_t key[KEY_SALT_MAX];
	int r;

	if (!b64 && !generated_b64) {
		*ret_ctx = NULL;
		return 0;
	}
	if (b64) {
		r = base64_decode_exact(b64, key, key_len + salt_len);
		if (r < 0) {
			*ret_reason = "not base64 of the suite's key and salt length";
			goto wipe;
		}
	} else {
		if (RAND_priv_bytes(key, (int)(key_len + salt_len)) != 1) {
			r = -EIO;
			*ret_reason = "the random number generator failed";
			goto wipe;
		}
		base64_encode(key, key_len + salt_len, generated_b64);
	}
	r = sluice_srtp_ctx_new((enum sluice_srtp_engine)ctx->config->srtp_engine, suite, direction,
				key, key_len, key + key_len, salt_len, mki && mki->len ? mki : NULL,
				ret_ctx);
	if (r < 0)
		*ret_reason = r == -ENOTSUP ? "suite not supported by the SRTP engine"
					    : "cannot create the SRTP context";
wipe:
	explicit_bzero(key, sizeof(key));
	return r;
}

static const char *leg_param(char **words, int n, const char *leg, const char *what, char *name,
			     size_t name_len)
{
	size_t len;

	snprintf(name, name_len, "%s_%s", leg, what);
	len = strlen(name);
	for (int i = 0; i < n; i++)
		if (strncmp(words[i], name, len) == 0 && words[i][len] == '=')
			return words[i] + len + 1;
	return NULL;
}

int commands_parse_srtp_leg(const struct commands_ctx *ctx, char **words, int n, const char *leg,
			    struct srtp_leg_request *ret, struct json *reply)
{
	char name[64];
	const char *suite = leg_param(words, n, leg, "srtp", name, sizeof(name));
	const char *rx_key, *tx_key, *rx_mki, *tx_mki, *reason = NULL;
	struct sluice_srtp_mki rx_m = {0}, tx_m = {0};
	int r;

	*ret = (struct srtp_leg_request){0};
	rx_key = leg_param(words, n, leg, "rx_key", name, sizeof(name));
	tx_key = leg_param(words, n, leg, "tx_key", name, sizeof(name));
	rx_mki = leg_param(words, n, leg, "rx_mki", name, sizeof(name));
	tx_mki = leg_param(words, n, leg, "tx_mki", name, sizeof(name));
	if (!suite) {
		if (rx_key || tx_key || rx_mki || tx_mki) {
			commands_reply_error(reply, "%s keys or MKIs without %s_srtp=SUITE", leg,
					     leg);
			return -EINVAL;
		}
		return 0;
	}
	if (sluice_srtp_suite_from_name(suite, &ret->suite) < 0) {
		commands_reply_error(reply,
				     "bad %s_srtp '%s' (an SDES suite name, e.g. "
				     "AES_CM_128_HMAC_SHA1_80)",
				     leg, suite);
		return -EINVAL;
	}
	if ((rx_mki && parse_mki(rx_mki, &rx_m) < 0) || (tx_mki && parse_mki(tx_mki, &tx_m) < 0)) {
		commands_reply_error(reply, "bad %s MKI (expected ID:LEN, LEN 1..4)", leg);
		return -EINVAL;
	}
	ret->srtp = true;
	r = make_ctx(ctx, ret->suite, SLUICE_SRTP_INBOUND, rx_key, &rx_m, NULL, &ret->rx, &reason);
	if (r == 0) {
		ret->tx_generated = !tx_key;
		r = make_ctx(ctx, ret->suite, SLUICE_SRTP_OUTBOUND, tx_key, &tx_m, ret->tx_key_b64,
			     &ret->tx, &reason);
	}
	if (r < 0) {
		commands_reply_error(reply, "bad %s SRTP key: %s", leg, reason);
		commands_srtp_leg_done(ret);
		return r;
	}
	return 0;
}

void commands_srtp_leg_done(struct srtp_leg_request *req)
{
	sluice_srtp_ctx_free(req->rx);
	sluice_srtp_ctx_free(req->tx);
	explicit_bzero(req, sizeof(*req));
}

/* `session rekey id=N leg=internal|gateway [rx_key=B64] [tx_key=B64] [rx_mki=] [tx_mki=]` */
void commands_session_rekey(struct commands_ctx *ctx, char **words, int n, struct json *reply)
{
	static const char *const known[] = {"id",     "leg",	"rx_key", "tx_key",
					    "rx_mki", "tx_mki", NULL};
	const char *leg_name, *rx_key, *tx_key, *rx_mki, *tx_mki, *reason = NULL;
	struct sluice_srtp_mki rx_m = {0}, tx_m = {0};
	struct sluice_srtp_ctx *rx = NULL, *tx = NULL;
	struct relay_session *rs;
	const struct session *s;
	enum sluice_leg leg;
	bool rx_taken = true, tx_taken = true;
	uint32_t id;
	int r;

	if (commands_check_params(words, n, known, reply) < 0 ||
	    commands_parse_id(words, n, &id, reply) < 0)
		return;
	leg_name = commands_param(words, n, "leg");
	rx_key = commands_param(words, n, "rx_key");
	tx_key = commands_param(words, n, "tx_key");
	rx_mki = commands_param(words, n, "rx_mki");
	tx_mki = commands_param(words, n, "tx_mki");
	if (!leg_name || (strcmp(leg_name, "internal") != 0 && strcmp(leg_name, "gateway") != 0)) {
		commands_reply_error(reply, "missing or bad leg=internal|gateway");
		return;
	}
	leg = strcmp(leg_name, "internal") == 0 ? SLUICE_LEG_INTERNAL : SLUICE_LEG_GATEWAY;
	if (!rx_key && !tx_key) {
		commands_reply_error(reply, "nothing to rekey: give rx_key=B64 and/or tx_key=B64");
		return;
	}
	if ((rx_mki && (!rx_key || parse_mki(rx_mki, &rx_m) < 0)) ||
	    (tx_mki && (!tx_key || parse_mki(tx_mki, &tx_m) < 0))) {
		commands_reply_error(reply, "bad MKI (expected ID:LEN, LEN 1..4, with its key)");
		return;
	}
	s = session_table_get(ctx->table, id);
	if (!s) {
		commands_reply_error(reply, "no session %u", id);
		return;
	}
	rs = s->relay;
	if (!rs || !rs->legs[leg].srtp) {
		commands_reply_error(reply, "session %u: the %s leg is not SRTP", id, leg_name);
		return;
	}
	r = make_ctx(ctx, rs->legs[leg].suite, SLUICE_SRTP_INBOUND, rx_key, &rx_m, NULL, &rx,
		     &reason);
	if (r == 0)
		r = make_ctx(ctx, rs->legs[leg].suite, SLUICE_SRTP_OUTBOUND, tx_key, &tx_m, NULL,
			     &tx, &reason);
	if (r < 0) {
		sluice_srtp_ctx_free(rx);
		sluice_srtp_ctx_free(tx);
		commands_reply_error(reply, "bad %s SRTP key: %s", leg_name, reason);
		return;
	}
	/* Each direction is handed over on its own: the other one never waits. */
	if (rx)
		rx_taken = relay_crypto_replace(&rs->legs[leg].rx, rx, REKEY_WAIT_MS);
	if (tx)
		tx_taken = relay_crypto_replace(&rs->legs[leg].tx, tx, REKEY_WAIT_MS);
	json_object_begin(reply);
	json_kv_string(reply, "result", "ok");
	json_kv_uint(reply, "id", id);
	json_kv_string(reply, "leg", leg_name);
	json_kv_bool(reply, "rx_rekeyed", rx != NULL);
	json_kv_bool(reply, "tx_rekeyed", tx != NULL);
	/* false: no packet of that direction since; the worker takes it with the next one. */
	json_kv_bool(reply, "applied", rx_taken && tx_taken);
	json_object_end(reply);
}
