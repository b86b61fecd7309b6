// SPDX-License-Identifier: MIT
/*
 * SDP parser and line-preserving rewriter. The body is copied into struct sdp; each line is an
 * (offset, length) into that copy, and a rewritten line is appended to the edit space after the
 * body and pointed to instead, so untouched lines are written back exactly as they came. The facts
 * of a section (a=rtcp, a=rtcp-mux, direction, crypto count, clock rate) are recomputed from its
 * lines after each attribute rewrite, so they never disagree with what will be serialized.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control/sdp.h"

static const char *const direction_names[] = {
    [SDP_DIR_SENDRECV] = "sendrecv",
    [SDP_DIR_SENDONLY] = "sendonly",
    [SDP_DIR_RECVONLY] = "recvonly",
    [SDP_DIR_INACTIVE] = "inactive",
};

static const struct {
	const char *name;
	enum sdp_proto id;
} proto_names[] = {
    {"RTP/AVP", SDP_PROTO_RTP_AVP},
    {"RTP/AVPF", SDP_PROTO_RTP_AVPF},
    {"RTP/SAVP", SDP_PROTO_RTP_SAVP},
    {"RTP/SAVPF", SDP_PROTO_RTP_SAVPF},
    {"UDP/TLS/RTP/SAVP", SDP_PROTO_UDP_TLS_RTP_SAVP},
    {"UDP/TLS/RTP/SAVPF", SDP_PROTO_UDP_TLS_RTP_SAVPF},
};

const char *sdp_direction_name(enum sdp_direction direction)
{
	if ((unsigned int)direction > SDP_DIR_INACTIVE)
		return NULL;
	return direction_names[direction];
}

uint32_t sdp_static_clock_rate(int payload_type)
{
	switch (payload_type) {
	case 0 ... 5:
	case 7 ... 9:
	case 12:
	case 13:
	case 15:
	case 18:
		return 8000;
	case 6:
		return 16000;
	case 10:
	case 11:
		return 44100;
	case 16:
		return 11025;
	case 17:
		return 22050;
	case 14:
	case 25:
	case 26:
	case 28:
	case 31 ... 34:
		return 90000;
	default:
		return 0;
	}
}

static struct sdp_str line_str(const struct sdp *sdp, unsigned int i)
{
	return (struct sdp_str){sdp->text + sdp->lines[i].offset, sdp->lines[i].len};
}

/* Next space-separated token of [*pos, end); false at the end. */
static bool next_tok(const char **pos, const char *end, struct sdp_str *ret_tok)
{
	const char *p = *pos;

	while (p < end && *p == ' ')
		p++;
	if (p == end)
		return false;
	ret_tok->ptr = p;
	while (p < end && *p != ' ')
		p++;
	ret_tok->len = (size_t)(p - ret_tok->ptr);
	*pos = p;
	return true;
}

static bool str_is(struct sdp_str s, const char *text)
{
	return s.len == strlen(text) && memcmp(s.ptr, text, s.len) == 0;
}

/* Decimal 0..max, at most 10 digits. */
static bool parse_uint(struct sdp_str s, uint32_t max, uint32_t *ret_value)
{
	uint64_t value = 0;

	if (s.len == 0 || s.len > 10)
		return false;
	for (size_t i = 0; i < s.len; i++) {
		if (s.ptr[i] < '0' || s.ptr[i] > '9')
			return false;
		value = value * 10 + (uint64_t)(s.ptr[i] - '0');
	}
	if (value > max)
		return false;
	*ret_value = (uint32_t)value;
	return true;
}

/* "IN" "IP4"|"IP6" ADDR[/ttl...] into ret (port 0). */
static int parse_address(struct sdp_str nettype, struct sdp_str addrtype, struct sdp_str addr,
			 struct endpoint *ret, const char **ret_reason)
{
	char text[INET6_ADDRSTRLEN];
	const char *slash = memchr(addr.ptr, '/', addr.len);
	size_t len = slash ? (size_t)(slash - addr.ptr) : addr.len;
	struct endpoint ep = {0};

	if (!str_is(nettype, "IN")) {
		*ret_reason = "unsupported network type";
		return -EBADMSG;
	}
	if (str_is(addrtype, "IP4"))
		ep.family = AF_INET;
	else if (str_is(addrtype, "IP6"))
		ep.family = AF_INET6;
	else {
		*ret_reason = "unsupported address type";
		return -EBADMSG;
	}
	*ret_reason = "invalid address";
	if (len == 0 || len >= sizeof(text))
		return -EBADMSG;
	memcpy(text, addr.ptr, len);
	text[len] = '\0';
	if (inet_pton(ep.family, text, &ep.addr) != 1)
		return -EBADMSG;
	*ret = ep;
	return 0;
}

static int parse_connection(const char *value, size_t len, struct endpoint *ret,
			    const char **ret_reason)
{
	const char *pos = value, *end = value + len;
	struct sdp_str nettype, addrtype, addr, extra;

	if (!next_tok(&pos, end, &nettype) || !next_tok(&pos, end, &addrtype) ||
	    !next_tok(&pos, end, &addr) || next_tok(&pos, end, &extra)) {
		*ret_reason = "malformed c= line";
		return -EBADMSG;
	}
	return parse_address(nettype, addrtype, addr, ret, ret_reason);
}

static bool copy_token(struct sdp_str tok, char *dst, size_t cap)
{
	if (tok.len == 0 || tok.len >= cap)
		return false;
	memcpy(dst, tok.ptr, tok.len);
	dst[tok.len] = '\0';
	return true;
}

static enum sdp_proto proto_id(const char *proto)
{
	for (size_t i = 0; i < sizeof(proto_names) / sizeof(proto_names[0]); i++)
		if (strcmp(proto, proto_names[i].name) == 0)
			return proto_names[i].id;
	return SDP_PROTO_OTHER;
}

/* "TYPE PORT[/COUNT] PROTO FMT..." */
static int parse_media_line(const char *value, size_t len, struct sdp_media *m,
			    const char **ret_reason)
{
	const char *pos = value, *end = value + len, *slash;
	struct sdp_str type, port, proto, fmt, count = {NULL, 0};
	uint32_t number;

	*ret_reason = "malformed m= line";
	if (!next_tok(&pos, end, &type) || !next_tok(&pos, end, &port) ||
	    !next_tok(&pos, end, &proto))
		return -EBADMSG;
	if (!copy_token(type, m->type, sizeof(m->type)) ||
	    !copy_token(proto, m->proto, sizeof(m->proto)))
		return -EBADMSG;
	slash = memchr(port.ptr, '/', port.len);
	if (slash) {
		count = (struct sdp_str){slash + 1, (size_t)(port.ptr + port.len - slash - 1)};
		port.len = (size_t)(slash - port.ptr);
	}
	if (!parse_uint(port, 65535, &number)) {
		*ret_reason = "invalid media port";
		return -EBADMSG;
	}
	m->port = (uint16_t)number;
	m->port_count = 1;
	if (slash) {
		if (!parse_uint(count, 65535, &number) || number == 0) {
			*ret_reason = "invalid media port count";
			return -EBADMSG;
		}
		m->port_count = (uint16_t)number;
	}
	m->proto_id = proto_id(m->proto);
	m->first_payload_type = -1;
	if (next_tok(&pos, end, &fmt) && parse_uint(fmt, 127, &number))
		m->first_payload_type = (int)number;
	return 0;
}

/* "PORT [IN IP4|IP6 ADDR]" */
static int parse_rtcp(const char *value, size_t len, struct sdp_media *m, const char **ret_reason)
{
	const char *pos = value, *end = value + len;
	struct sdp_str port, nettype, addrtype, addr, extra;
	uint32_t number;
	int r;

	if (!next_tok(&pos, end, &port) || !parse_uint(port, 65535, &number) || number == 0) {
		*ret_reason = "invalid a=rtcp port";
		return -EBADMSG;
	}
	m->rtcp = (struct endpoint){.port = (uint16_t)number};
	m->has_rtcp = true;
	m->rtcp_has_address = false;
	if (!next_tok(&pos, end, &nettype))
		return 0;
	if (!next_tok(&pos, end, &addrtype) || !next_tok(&pos, end, &addr) ||
	    next_tok(&pos, end, &extra)) {
		*ret_reason = "malformed a=rtcp line";
		return -EBADMSG;
	}
	r = parse_address(nettype, addrtype, addr, &m->rtcp, ret_reason);
	if (r < 0)
		return r;
	m->rtcp.port = (uint16_t)number;
	m->rtcp_has_address = true;
	return 0;
}

/* "PT ENCODING/RATE[/CHANNELS]": sets the clock rate when PT is the first format. */
static void parse_rtpmap(const char *value, size_t len, struct sdp_media *m)
{
	const char *pos = value, *end = value + len, *slash;
	struct sdp_str pt, encoding, rate;
	uint32_t number;

	if (!next_tok(&pos, end, &pt) || !parse_uint(pt, 127, &number) ||
	    (int)number != m->first_payload_type || !next_tok(&pos, end, &encoding))
		return;
	slash = memchr(encoding.ptr, '/', encoding.len);
	if (!slash)
		return;
	rate.ptr = slash + 1;
	rate.len = (size_t)(encoding.ptr + encoding.len - rate.ptr);
	slash = memchr(rate.ptr, '/', rate.len);
	if (slash)
		rate.len = (size_t)(slash - rate.ptr);
	if (parse_uint(rate, 10000000, &number))
		m->clock_rate = number;
}

static bool direction_from_name(struct sdp_str name, enum sdp_direction *ret_direction)
{
	for (unsigned int d = 0; d <= SDP_DIR_INACTIVE; d++)
		if (str_is(name, direction_names[d])) {
			*ret_direction = d;
			return true;
		}
	return false;
}

/* One a= line (value after "a=") of a section: 0 = session, n = media n - 1. */
static int parse_attribute(struct sdp *sdp, unsigned int section, const char *value, size_t len,
			   const char **ret_reason)
{
	const char *colon = memchr(value, ':', len);
	struct sdp_str name = {value, colon ? (size_t)(colon - value) : len};
	const char *arg = colon ? colon + 1 : value + len;
	size_t arg_len = (size_t)(value + len - arg);
	struct sdp_media *m = section ? &sdp->media[section - 1] : NULL;
	unsigned int *n_attrs = m ? &m->n_attrs : &sdp->n_session_attrs;
	enum sdp_direction direction;

	if (++*n_attrs > SDP_MAX_ATTRS) {
		*ret_reason = "too many attributes in a section";
		return -EBADMSG;
	}
	if (direction_from_name(name, &direction)) {
		*(m ? &m->has_direction : &sdp->has_direction) = true;
		*(m ? &m->direction : &sdp->direction) = direction;
		return 0;
	}
	if (!m)
		return 0;
	if (str_is(name, "rtcp"))
		return parse_rtcp(arg, arg_len, m, ret_reason);
	if (str_is(name, "rtcp-mux"))
		m->rtcp_mux = true;
	else if (str_is(name, "rtpmap"))
		parse_rtpmap(arg, arg_len, m);
	else if (str_is(name, "crypto") && ++m->n_crypto > SDP_MAX_CRYPTO) {
		*ret_reason = "too many crypto lines";
		return -EBADMSG;
	}
	return 0;
}

static int parse_line(struct sdp *sdp, unsigned int i, const char **ret_reason)
{
	struct sdp_line *line = &sdp->lines[i];
	const char *value = sdp->text + line->offset + 2;
	size_t len = line->len - 2u;
	struct sdp_media *m;
	int r;

	switch (line->type) {
	case 'm':
		if (sdp->n_media == SDP_MAX_MEDIA) {
			*ret_reason = "too many media sections";
			return -EBADMSG;
		}
		line->section = (uint8_t)++sdp->n_media;
		return parse_media_line(value, len, &sdp->media[sdp->n_media - 1], ret_reason);
	case 'c':
		m = line->section ? &sdp->media[line->section - 1] : NULL;
		if (m ? m->has_connection : sdp->has_connection) {
			*ret_reason = "duplicate c= line";
			return -EBADMSG;
		}
		r = parse_connection(value, len, m ? &m->connection : &sdp->connection, ret_reason);
		if (r == 0)
			*(m ? &m->has_connection : &sdp->has_connection) = true;
		return r;
	case 'a':
		return parse_attribute(sdp, line->section, value, len, ret_reason);
	default:
		return 0;
	}
}

/* Registers text[offset, offset + len) as the next line and parses it. */
static int add_input_line(struct sdp *sdp, size_t offset, size_t len, const char **ret_reason)
{
	const char *text = sdp->text + offset;
	struct sdp_line *line;

	if (len == 0)
		return 0;
	*ret_reason = "line too long";
	if (len > SDP_MAX_LINE_LEN)
		return -EBADMSG;
	*ret_reason = "too many lines";
	if (sdp->n_lines == SDP_MAX_LINES)
		return -EBADMSG;
	*ret_reason = "NUL or CR inside a line";
	if (memchr(text, '\0', len) || memchr(text, '\r', len))
		return -EBADMSG;
	*ret_reason = "malformed line";
	if (len < 2 || text[0] < 'a' || text[0] > 'z' || text[1] != '=')
		return -EBADMSG;
	*ret_reason = "SDP does not start with v=0";
	if (sdp->n_lines == 0 && (len != 3 || memcmp(text, "v=0", 3) != 0))
		return -EBADMSG;

	line = &sdp->lines[sdp->n_lines];
	*line = (struct sdp_line){
	    .offset = (uint32_t)offset,
	    .len = (uint16_t)len,
	    .type = text[0],
	    .section = (uint8_t)sdp->n_media,
	};
	sdp->n_lines++;
	return parse_line(sdp, sdp->n_lines - 1, ret_reason);
}

static void reset_clock_rates(struct sdp *sdp)
{
	for (unsigned int i = 0; i < sdp->n_media; i++)
		if (sdp->media[i].clock_rate == 0)
			sdp->media[i].clock_rate =
			    sdp_static_clock_rate(sdp->media[i].first_payload_type);
}

static int parse_body(struct sdp *sdp, const char **ret_reason)
{
	size_t pos = 0;

	while (pos < sdp->text_len) {
		const char *nl = memchr(sdp->text + pos, '\n', sdp->text_len - pos);
		size_t end = nl ? (size_t)(nl - sdp->text) : sdp->text_len;
		size_t len = end - pos;
		int r;

		if (len > 0 && sdp->text[end - 1] == '\r')
			len--;
		r = add_input_line(sdp, pos, len, ret_reason);
		if (r < 0)
			return r;
		pos = end + 1;
	}
	if (sdp->n_lines == 0) {
		*ret_reason = "empty SDP";
		return -EBADMSG;
	}
	/* an a=rtpmap of the first format set the rate; static payload types fill the rest */
	reset_clock_rates(sdp);
	return 0;
}

int sdp_parse(const char *body, size_t len, struct sdp **ret_sdp, const char **ret_reason)
{
	struct sdp *sdp;
	int r;

	if (!body || !ret_sdp || !ret_reason)
		return -EINVAL;
	if (len > SDP_MAX_SIZE) {
		*ret_reason = "SDP too large";
		return -EBADMSG;
	}
	sdp = calloc(1, sizeof(*sdp));
	if (!sdp)
		return -ENOMEM;
	memcpy(sdp->text, body, len);
	sdp->text_len = len;
	r = parse_body(sdp, ret_reason);
	if (r < 0) {
		sdp_free(sdp);
		return r;
	}
	*ret_sdp = sdp;
	return 0;
}

void sdp_free(struct sdp *sdp)
{
	free(sdp);
}

const struct endpoint *sdp_media_connection(const struct sdp *sdp, unsigned int media)
{
	if (media >= sdp->n_media)
		return NULL;
	if (sdp->media[media].has_connection)
		return &sdp->media[media].connection;
	return sdp->has_connection ? &sdp->connection : NULL;
}

enum sdp_direction sdp_media_direction(const struct sdp *sdp, unsigned int media)
{
	if (media < sdp->n_media && sdp->media[media].has_direction)
		return sdp->media[media].direction;
	return sdp->has_direction ? sdp->direction : SDP_DIR_SENDRECV;
}

bool sdp_media_is_held(const struct sdp *sdp, unsigned int media)
{
	const struct endpoint *conn = sdp_media_connection(sdp, media);
	enum sdp_direction direction = sdp_media_direction(sdp, media);

	if (direction == SDP_DIR_SENDONLY || direction == SDP_DIR_INACTIVE)
		return true;
	return conn && conn->family == AF_INET && conn->addr.v4.s_addr == INADDR_ANY;
}

/* Lines [*ret_first, *ret_end) of a section (0 = session, n = media n - 1). */
static void section_range(const struct sdp *sdp, unsigned int section, unsigned int *ret_first,
			  unsigned int *ret_end)
{
	unsigned int i = 0;

	while (i < sdp->n_lines && sdp->lines[i].section < section)
		i++;
	*ret_first = i;
	while (i < sdp->n_lines && sdp->lines[i].section == section)
		i++;
	*ret_end = i;
}

static int section_of(const struct sdp *sdp, int media, unsigned int *ret_section)
{
	if (media < SDP_SESSION || media >= (int)sdp->n_media)
		return -EINVAL;
	*ret_section = (unsigned int)(media + 1);
	return 0;
}

/* a=NAME or a=NAME:... */
static bool line_is_attr(const struct sdp *sdp, unsigned int i, const char *name)
{
	struct sdp_str s = line_str(sdp, i);
	size_t n = strlen(name);

	return sdp->lines[i].type == 'a' && s.len >= n + 2 && memcmp(s.ptr + 2, name, n) == 0 &&
	       (s.len == n + 2 || s.ptr[n + 2] == ':');
}

int sdp_attr_get(const struct sdp *sdp, int media, const char *name, unsigned int nth,
		 struct sdp_str *ret_value)
{
	unsigned int section, first, end;
	size_t n = strlen(name);

	if (section_of(sdp, media, &section) < 0)
		return -EINVAL;
	section_range(sdp, section, &first, &end);
	for (unsigned int i = first; i < end; i++) {
		struct sdp_str s = line_str(sdp, i);

		if (!line_is_attr(sdp, i, name) || nth-- > 0)
			continue;
		ret_value->ptr = s.len > n + 2 ? s.ptr + n + 3 : s.ptr + s.len;
		ret_value->len = s.len > n + 2 ? s.len - n - 3 : 0;
		return 0;
	}
	return -ENOENT;
}

/* Recomputes the attribute facts of a section from its a= lines. */
static void rescan_section(struct sdp *sdp, unsigned int section)
{
	const char *ignored;
	unsigned int first, end;

	if (section == 0) {
		sdp->has_direction = false;
		sdp->n_session_attrs = 0;
	} else {
		struct sdp_media *m = &sdp->media[section - 1];

		m->has_rtcp = m->rtcp_has_address = m->rtcp_mux = m->has_direction = false;
		m->n_crypto = m->n_attrs = 0;
		m->clock_rate = 0;
	}
	section_range(sdp, section, &first, &end);
	for (unsigned int i = first; i < end; i++)
		if (sdp->lines[i].type == 'a')
			parse_attribute(sdp, section, sdp->text + sdp->lines[i].offset + 2,
					sdp->lines[i].len - 2u, &ignored);
	reset_clock_rates(sdp);
}

/* Formats one line into buf; refuses line breaks and over-long lines. */
static int format_line(char *buf, size_t cap, size_t *ret_len, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int format_line(char *buf, size_t cap, size_t *ret_len, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, cap, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= cap || n > SDP_MAX_LINE_LEN)
		return -EINVAL;
	if (memchr(buf, '\r', (size_t)n) || memchr(buf, '\n', (size_t)n))
		return -EINVAL;
	*ret_len = (size_t)n;
	return 0;
}

static int store_text(struct sdp *sdp, const char *text, size_t len, uint32_t *ret_offset)
{
	if (len > sizeof(sdp->text) - sdp->text_len)
		return -ENOSPC;
	memcpy(sdp->text + sdp->text_len, text, len);
	*ret_offset = (uint32_t)sdp->text_len;
	sdp->text_len += len;
	return 0;
}

static int line_replace(struct sdp *sdp, unsigned int i, const char *text, size_t len)
{
	uint32_t offset;
	int r = store_text(sdp, text, len, &offset);

	if (r < 0)
		return r;
	sdp->lines[i].offset = offset;
	sdp->lines[i].len = (uint16_t)len;
	sdp->lines[i].type = text[0];
	return 0;
}

static int line_insert(struct sdp *sdp, unsigned int at, unsigned int section, const char *text,
		       size_t len)
{
	uint32_t offset;
	int r;

	if (sdp->n_lines == SDP_MAX_LINES)
		return -ENOSPC;
	r = store_text(sdp, text, len, &offset);
	if (r < 0)
		return r;
	memmove(&sdp->lines[at + 1], &sdp->lines[at], (sdp->n_lines - at) * sizeof(sdp->lines[0]));
	sdp->lines[at] = (struct sdp_line){
	    .offset = offset, .len = (uint16_t)len, .type = text[0], .section = (uint8_t)section};
	sdp->n_lines++;
	return 0;
}

static void line_remove(struct sdp *sdp, unsigned int i)
{
	memmove(&sdp->lines[i], &sdp->lines[i + 1], (sdp->n_lines - i - 1) * sizeof(sdp->lines[0]));
	sdp->n_lines--;
}

static int format_address(const struct endpoint *addr, const char **ret_type, char *buf)
{
	if (!addr || (addr->family != AF_INET && addr->family != AF_INET6))
		return -EINVAL;
	*ret_type = addr->family == AF_INET ? "IP4" : "IP6";
	if (!inet_ntop(addr->family, &addr->addr, buf, INET6_ADDRSTRLEN))
		return -EINVAL;
	return 0;
}

/* Where a new c= line of a section goes: after m= and i= (media), before b=/t=/... (session). */
static unsigned int connection_position(const struct sdp *sdp, unsigned int section)
{
	unsigned int first, end, i;

	section_range(sdp, section, &first, &end);
	if (section) {
		for (i = first + 1; i < end && sdp->lines[i].type == 'i'; i++)
			;
		return i;
	}
	for (i = first; i < end && !strchr("btrzkam", sdp->lines[i].type); i++)
		;
	return i;
}

int sdp_set_connection(struct sdp *sdp, int media, const struct endpoint *addr)
{
	char text[SDP_MAX_LINE_LEN + 1], ip[INET6_ADDRSTRLEN];
	unsigned int section, first, end, i;
	const char *type;
	size_t len;
	int r;

	if (!sdp || section_of(sdp, media, &section) < 0 || format_address(addr, &type, ip) < 0)
		return -EINVAL;
	r = format_line(text, sizeof(text), &len, "c=IN %s %s", type, ip);
	if (r < 0)
		return r;
	section_range(sdp, section, &first, &end);
	for (i = first; i < end && sdp->lines[i].type != 'c'; i++)
		;
	if (i < end)
		r = line_replace(sdp, i, text, len);
	else
		r = line_insert(sdp, connection_position(sdp, section), section, text, len);
	if (r < 0)
		return r;
	if (section) {
		sdp->media[section - 1].has_connection = true;
		sdp->media[section - 1].connection =
		    (struct endpoint){.family = addr->family, .addr = addr->addr};
	} else {
		sdp->has_connection = true;
		sdp->connection = (struct endpoint){.family = addr->family, .addr = addr->addr};
	}
	return 0;
}

int sdp_set_origin_address(struct sdp *sdp, const struct endpoint *addr)
{
	char text[SDP_MAX_LINE_LEN + 1], ip[INET6_ADDRSTRLEN];
	struct sdp_str user, id, version, nettype, addrtype, old, extra, s;
	unsigned int first, end, i;
	const char *type, *pos, *stop;
	size_t len;
	int r;

	if (!sdp || format_address(addr, &type, ip) < 0)
		return -EINVAL;
	section_range(sdp, 0, &first, &end);
	for (i = first; i < end && sdp->lines[i].type != 'o'; i++)
		;
	if (i == end)
		return -ENOENT;
	s = line_str(sdp, i);
	pos = s.ptr + 2;
	stop = s.ptr + s.len;
	if (!next_tok(&pos, stop, &user) || !next_tok(&pos, stop, &id) ||
	    !next_tok(&pos, stop, &version) || !next_tok(&pos, stop, &nettype) ||
	    !next_tok(&pos, stop, &addrtype) || !next_tok(&pos, stop, &old) ||
	    next_tok(&pos, stop, &extra))
		return -EBADMSG;
	r = format_line(text, sizeof(text), &len, "o=%.*s %.*s %.*s IN %s %s", (int)user.len,
			user.ptr, (int)id.len, id.ptr, (int)version.len, version.ptr, type, ip);
	return r < 0 ? r : line_replace(sdp, i, text, len);
}

/* Rewrites the m= line of a media section from its parsed fields and the original formats. */
static int rewrite_media_line(struct sdp *sdp, unsigned int media)
{
	struct sdp_media *m = &sdp->media[media];
	char text[SDP_MAX_LINE_LEN + 1], count[8] = "";
	unsigned int first, end;
	struct sdp_str s, tok;
	const char *pos, *stop;
	size_t len;
	int r;

	section_range(sdp, media + 1, &first, &end);
	s = line_str(sdp, first);
	pos = s.ptr + 2;
	stop = s.ptr + s.len;
	for (int skip = 0; skip < 3; skip++)
		next_tok(&pos, stop, &tok); /* type, port, proto: parsed and valid */
	if (m->port_count > 1)
		snprintf(count, sizeof(count), "/%u", m->port_count);
	r = format_line(text, sizeof(text), &len, "m=%s %u%s %s%.*s", m->type, m->port, count,
			m->proto, (int)(stop - pos), pos);
	return r < 0 ? r : line_replace(sdp, first, text, len);
}

int sdp_set_media_port(struct sdp *sdp, unsigned int media, uint16_t port)
{
	uint16_t old;
	int r;

	if (!sdp || media >= sdp->n_media)
		return -EINVAL;
	old = sdp->media[media].port;
	sdp->media[media].port = port;
	r = rewrite_media_line(sdp, media);
	if (r < 0)
		sdp->media[media].port = old;
	return r;
}

int sdp_set_media_proto(struct sdp *sdp, unsigned int media, const char *proto)
{
	char old[SDP_MEDIA_PROTO_MAX];
	struct sdp_media *m;
	int r;

	if (!sdp || !proto || media >= sdp->n_media || !proto[0] ||
	    strlen(proto) >= SDP_MEDIA_PROTO_MAX || strpbrk(proto, " \r\n"))
		return -EINVAL;
	m = &sdp->media[media];
	memcpy(old, m->proto, sizeof(old));
	snprintf(m->proto, sizeof(m->proto), "%s", proto);
	r = rewrite_media_line(sdp, media);
	if (r < 0)
		memcpy(m->proto, old, sizeof(old));
	m->proto_id = proto_id(m->proto);
	return r;
}

/* New a= lines, already stored in the edit space, that replace the lines named names. */
struct attr_edit {
	const char *const *names;
	unsigned int n_names;
	unsigned int n_new;
	uint32_t offset[SDP_MAX_CRYPTO];
	uint16_t len[SDP_MAX_CRYPTO];
};

static bool line_matches(const struct sdp *sdp, unsigned int i, const struct attr_edit *edit)
{
	for (unsigned int n = 0; n < edit->n_names; n++)
		if (line_is_attr(sdp, i, edit->names[n]))
			return true;
	return false;
}

static int edit_add_line(struct sdp *sdp, struct attr_edit *edit, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int edit_add_line(struct sdp *sdp, struct attr_edit *edit, const char *fmt, ...)
{
	char text[SDP_MAX_LINE_LEN + 2];
	va_list ap;
	int n;

	if (edit->n_new == SDP_MAX_CRYPTO)
		return -ENOSPC;
	va_start(ap, fmt);
	n = vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (n < 3 || n > SDP_MAX_LINE_LEN || memchr(text, '\r', (size_t)n) ||
	    memchr(text, '\n', (size_t)n))
		return -EINVAL;
	edit->len[edit->n_new] = (uint16_t)n;
	return store_text(sdp, text, (size_t)n, &edit->offset[edit->n_new++]);
}

/*
 * Removes the section's lines matching edit->names and puts the new lines where the first of
 * them was (or at the end of the section). Nothing changes when it fails.
 */
static int apply_attr_edit(struct sdp *sdp, unsigned int section, const struct attr_edit *edit)
{
	unsigned int first, end, at = UINT32_MAX, removed = 0;
	unsigned int attrs = section ? sdp->media[section - 1].n_attrs : sdp->n_session_attrs;

	section_range(sdp, section, &first, &end);
	for (unsigned int i = first; i < end; i++)
		if (line_matches(sdp, i, edit)) {
			removed++;
			at = at < i ? at : i;
		}
	if (sdp->n_lines - removed + edit->n_new > SDP_MAX_LINES ||
	    attrs - removed + edit->n_new > SDP_MAX_ATTRS)
		return -ENOSPC;
	for (unsigned int i = end; i-- > first;)
		if (line_matches(sdp, i, edit))
			line_remove(sdp, i);
	if (at == UINT32_MAX)
		at = end - removed;
	memmove(&sdp->lines[at + edit->n_new], &sdp->lines[at],
		(sdp->n_lines - at) * sizeof(sdp->lines[0]));
	for (unsigned int n = 0; n < edit->n_new; n++)
		sdp->lines[at + n] = (struct sdp_line){.offset = edit->offset[n],
						       .len = edit->len[n],
						       .type = 'a',
						       .section = (uint8_t)section};
	sdp->n_lines += edit->n_new;
	rescan_section(sdp, section);
	return 0;
}

/* Applies an edit whose new lines are in the edit space since text_len was saved_len. */
static int finish_attr_edit(struct sdp *sdp, unsigned int section, const struct attr_edit *edit,
			    size_t saved_len, int r)
{
	if (r == 0)
		r = apply_attr_edit(sdp, section, edit);
	if (r < 0)
		sdp->text_len = saved_len;
	return r;
}

int sdp_set_rtcp(struct sdp *sdp, unsigned int media, uint16_t port, const struct endpoint *addr)
{
	static const char *const names[] = {"rtcp"};
	struct attr_edit edit = {.names = names, .n_names = 1};
	char ip[INET6_ADDRSTRLEN];
	const char *type;
	size_t saved;
	int r;

	if (!sdp || media >= sdp->n_media || port == 0 ||
	    (addr && format_address(addr, &type, ip) < 0))
		return -EINVAL;
	saved = sdp->text_len;
	if (addr)
		r = edit_add_line(sdp, &edit, "a=rtcp:%u IN %s %s", port, type, ip);
	else
		r = edit_add_line(sdp, &edit, "a=rtcp:%u", port);
	return finish_attr_edit(sdp, media + 1, &edit, saved, r);
}

int sdp_set_rtcp_mux(struct sdp *sdp, unsigned int media, bool enabled)
{
	static const char *const names[] = {"rtcp-mux"};
	struct attr_edit edit = {.names = names, .n_names = 1};
	size_t saved;
	int r = 0;

	if (!sdp || media >= sdp->n_media)
		return -EINVAL;
	saved = sdp->text_len;
	if (enabled)
		r = edit_add_line(sdp, &edit, "a=rtcp-mux");
	return finish_attr_edit(sdp, media + 1, &edit, saved, r);
}

int sdp_set_direction(struct sdp *sdp, unsigned int media, enum sdp_direction direction)
{
	struct attr_edit edit = {.names = direction_names, .n_names = 4};
	size_t saved;
	int r;

	if (!sdp || media >= sdp->n_media || (unsigned int)direction > SDP_DIR_INACTIVE)
		return -EINVAL;
	saved = sdp->text_len;
	r = edit_add_line(sdp, &edit, "a=%s", direction_names[direction]);
	return finish_attr_edit(sdp, media + 1, &edit, saved, r);
}

int sdp_set_crypto(struct sdp *sdp, unsigned int media, const char *const *values, unsigned int n)
{
	static const char *const names[] = {"crypto"};
	struct attr_edit edit = {.names = names, .n_names = 1};
	size_t saved;
	int r = 0;

	if (!sdp || media >= sdp->n_media || n > SDP_MAX_CRYPTO || (n && !values))
		return -EINVAL;
	saved = sdp->text_len;
	for (unsigned int i = 0; i < n && r == 0; i++)
		r = values[i] ? edit_add_line(sdp, &edit, "a=crypto:%s", values[i]) : -EINVAL;
	return finish_attr_edit(sdp, media + 1, &edit, saved, r);
}

int sdp_remove_attr(struct sdp *sdp, int media, const char *name)
{
	struct attr_edit edit = {.names = &name, .n_names = 1};
	unsigned int section, before;
	int r;

	if (!sdp || !name || !name[0] || section_of(sdp, media, &section) < 0)
		return -EINVAL;
	before = sdp->n_lines;
	r = apply_attr_edit(sdp, section, &edit);
	return r < 0 ? r : (int)(before - sdp->n_lines);
}

int sdp_add_attr(struct sdp *sdp, int media, const char *value)
{
	struct attr_edit edit = {.n_names = 0};
	unsigned int section;
	size_t saved;
	int r;

	if (!sdp || !value || !value[0] || section_of(sdp, media, &section) < 0)
		return -EINVAL;
	saved = sdp->text_len;
	r = edit_add_line(sdp, &edit, "a=%s", value);
	return finish_attr_edit(sdp, section, &edit, saved, r);
}

int sdp_serialize(const struct sdp *sdp, char *buf, size_t cap, size_t *ret_len)
{
	size_t len = 0;

	if (!sdp || !buf || !ret_len)
		return -EINVAL;
	for (unsigned int i = 0; i < sdp->n_lines; i++) {
		struct sdp_str s = line_str(sdp, i);

		if (s.len + 2 > cap - len)
			return -ENOSPC;
		memcpy(buf + len, s.ptr, s.len);
		memcpy(buf + len + s.len, "\r\n", 2);
		len += s.len + 2;
	}
	*ret_len = len;
	return 0;
}
