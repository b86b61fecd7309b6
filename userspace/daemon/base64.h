/* SPDX-License-Identifier: MIT */
/*
 * Base64 (RFC 4648, standard alphabet) for SRTP master keys as SDES writes them (RFC 4568
 * "inline:" key||salt): strict decoding (padding optional, nothing else tolerated) into a
 * fixed-size buffer, and encoding. Header-only: sluiced and sluice-gen both use it. The decoder
 * leaves nothing of the key behind but the output.
 */
#ifndef SLUICE_DAEMON_BASE64_H
#define SLUICE_DAEMON_BASE64_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

static inline int base64_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Decodes s into exactly want bytes of out; -EINVAL for bad characters or another length. */
static inline int base64_decode_exact(const char *s, uint8_t *out, size_t want)
{
	size_t len = strlen(s), n = 0;
	uint32_t acc = 0;
	unsigned bits = 0;

	while (len > 0 && s[len - 1] == '=')
		len--;
	if (strlen(s) - len > 2)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		int v = base64_value(s[i]);

		if (v < 0)
			return -EINVAL;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (n == want)
				return -EINVAL;
			out[n++] = (uint8_t)(acc >> bits);
		}
	}
	acc = 0;
	/* Leftover bits must be zero padding of a canonical encoding. */
	if (n != want || bits >= 6)
		return -EINVAL;
	return 0;
}

/* Encodes len bytes with padding; out needs 4 * ((len + 2) / 3) + 1 bytes. */
static inline void base64_encode(const uint8_t *in, size_t len, char *out)
{
	static const char alphabet[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t o = 0;

	for (size_t i = 0; i < len; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16;

		if (i + 1 < len)
			v |= (uint32_t)in[i + 1] << 8;
		if (i + 2 < len)
			v |= in[i + 2];
		out[o++] = alphabet[(v >> 18) & 63];
		out[o++] = alphabet[(v >> 12) & 63];
		out[o++] = i + 1 < len ? alphabet[(v >> 6) & 63] : '=';
		out[o++] = i + 2 < len ? alphabet[v & 63] : '=';
	}
	out[o] = '\0';
}

#endif
