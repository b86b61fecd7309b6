/* SPDX-License-Identifier: MIT */
/*
 * SDP bodies (RFC 8866) as the relay needs them: parsed into the facts it acts on (connection
 * addresses, media ports and profiles, a=rtcp, a=rtcp-mux, a=crypto, direction, the clock rate of
 * the first format) while every line is kept, in order, so that a rewrite changes only the lines it
 * means to and serializes everything else byte for byte (with CRLF line endings).
 *
 * The parsed struct sdp owns a copy of the body, so the input need not outlive it. Everything a
 * peer controls is capped (size, lines, line length, media sections, attributes per section, crypto
 * lines per section); a body over a cap or malformed yields -EBADMSG and a static reason. Input
 * may use LF or CRLF line endings; empty lines are dropped. Addresses must be numeric IPv4/IPv6
 * (an FQDN in c= is refused); a multicast "/ttl" suffix is accepted and kept in the text.
 *
 * Media sections are numbered from 0; where a function takes a media index, -1 (SDP_SESSION)
 * means the session level. Rewrites fail with -ENOSPC when the line table or the edit space is
 * full, and with -EINVAL for bad arguments (values containing CR or LF are refused).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/addr.h"

#define SDP_MAX_SIZE	    (32 * 1024) /* bytes of one body */
#define SDP_MAX_LINES	    512
#define SDP_MAX_LINE_LEN    1024 /* without the line ending */
#define SDP_MAX_MEDIA	    16
#define SDP_MAX_ATTRS	    128		/* a= lines per media section and at session level */
#define SDP_MAX_CRYPTO	    16		/* a=crypto lines per media section */
#define SDP_EDIT_SPACE	    (16 * 1024) /* bytes for rewritten lines */
#define SDP_MEDIA_TYPE_MAX  16
#define SDP_MEDIA_PROTO_MAX 32
#define SDP_SESSION	    (-1)

enum sdp_direction {
	SDP_DIR_SENDRECV,
	SDP_DIR_SENDONLY,
	SDP_DIR_RECVONLY,
	SDP_DIR_INACTIVE,
};

enum sdp_proto {
	SDP_PROTO_OTHER,
	SDP_PROTO_RTP_AVP,
	SDP_PROTO_RTP_AVPF,
	SDP_PROTO_RTP_SAVP,
	SDP_PROTO_RTP_SAVPF,
	SDP_PROTO_UDP_TLS_RTP_SAVP,
	SDP_PROTO_UDP_TLS_RTP_SAVPF,
};

struct sdp_str {
	const char *ptr; /* not NUL-terminated; valid until the next rewrite or sdp_free() */
	size_t len;
};

/* One line, without its "\r\n". */
struct sdp_line {
	uint32_t offset; /* into sdp->text */
	uint16_t len;
	char type;	 /* 'v', 'o', 'c', 'm', 'a', ... */
	uint8_t section; /* 0: session level; n: media section n - 1 */
};

struct sdp_media {
	char type[SDP_MEDIA_TYPE_MAX];	 /* "audio", "video", ... */
	char proto[SDP_MEDIA_PROTO_MAX]; /* "RTP/AVP", ... */
	enum sdp_proto proto_id;
	uint16_t port; /* 0: rejected or disabled */
	uint16_t port_count;
	int first_payload_type; /* -1 when the first format is not an RTP payload type */
	uint32_t clock_rate;	/* of the first format; 0 when unknown */
	bool has_connection;
	struct endpoint connection; /* c= of this section (port 0) */
	bool has_rtcp;
	struct endpoint rtcp; /* a=rtcp: port, and address when rtcp_has_address */
	bool rtcp_has_address;
	bool rtcp_mux;
	bool has_direction;
	enum sdp_direction direction;
	unsigned int n_crypto;
	unsigned int n_attrs;
};

struct sdp {
	bool has_connection;
	struct endpoint connection; /* session-level c= */
	bool has_direction;
	enum sdp_direction direction; /* session-level direction attribute */
	unsigned int n_session_attrs;
	unsigned int n_media;
	struct sdp_media media[SDP_MAX_MEDIA];
	unsigned int n_lines;
	struct sdp_line lines[SDP_MAX_LINES];
	size_t text_len;
	char text[SDP_MAX_SIZE + SDP_EDIT_SPACE];
};

/* Parses body[0..len). Returns 0, -EBADMSG (+ reason), -ENOMEM, -EINVAL. */
int sdp_parse(const char *body, size_t len, struct sdp **ret_sdp, const char **ret_reason);
/* Accepts NULL. */
void sdp_free(struct sdp *sdp);

/* The connection in force for a media section (its own, else the session's); NULL when none. */
const struct endpoint *sdp_media_connection(const struct sdp *sdp, unsigned int media);
/* The direction in force for a media section (its own, else the session's, else sendrecv). */
enum sdp_direction sdp_media_direction(const struct sdp *sdp, unsigned int media);
/* Held: sendonly or inactive, or the old-style hold with c= 0.0.0.0. */
bool sdp_media_is_held(const struct sdp *sdp, unsigned int media);
const char *sdp_direction_name(enum sdp_direction direction);
/* The RTP clock rate of a static payload type (RFC 3551); 0 when not static. */
uint32_t sdp_static_clock_rate(int payload_type);

/* The value of the nth (from 0) a=NAME or a=NAME:VALUE line of a section; -ENOENT. */
int sdp_attr_get(const struct sdp *sdp, int media, const char *name, unsigned int nth,
		 struct sdp_str *ret_value);

/* Rewrites. */
int sdp_set_connection(struct sdp *sdp, int media, const struct endpoint *addr);
int sdp_set_origin_address(struct sdp *sdp, const struct endpoint *addr);
int sdp_set_media_port(struct sdp *sdp, unsigned int media, uint16_t port);
int sdp_set_media_proto(struct sdp *sdp, unsigned int media, const char *proto);
/* a=rtcp:PORT, or a=rtcp:PORT IN IP4|IP6 ADDR when addr is not NULL (its port is ignored). */
int sdp_set_rtcp(struct sdp *sdp, unsigned int media, uint16_t port, const struct endpoint *addr);
int sdp_set_rtcp_mux(struct sdp *sdp, unsigned int media, bool enabled);
int sdp_set_direction(struct sdp *sdp, unsigned int media, enum sdp_direction direction);
/* Replaces all a=crypto lines of a section with n lines a=crypto:VALUES[i]. */
int sdp_set_crypto(struct sdp *sdp, unsigned int media, const char *const *values, unsigned int n);
/* Removes every a=NAME and a=NAME:... line of a section; returns how many. */
int sdp_remove_attr(struct sdp *sdp, int media, const char *name);
/* Appends a=VALUE at the end of a section. */
int sdp_add_attr(struct sdp *sdp, int media, const char *value);

/* Writes the body with CRLF line endings. Returns 0, -ENOSPC. */
int sdp_serialize(const struct sdp *sdp, char *buf, size_t cap, size_t *ret_len);
