// SPDX-License-Identifier: MIT
/*
 * Unit tests for the ng bencode decoder and encoder: round trips, every decoder error reason
 * (including truncation at every position of a valid message), caps, lookups, the writer's bounds.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "control/bencode.h"

static _Alignas(16) char arena[BENCODE_ARENA_SIZE];

static int decode(const char *msg, const struct bencode_item **root, const char **reason)
{
	return bencode_decode(msg, strlen(msg), arena, sizeof(arena), root, reason);
}

static void expect_error(const char *msg, const char *want_reason)
{
	const struct bencode_item *root = NULL;
	const char *reason = NULL;

	assert_int_equal(decode(msg, &root, &reason), -EBADMSG);
	assert_non_null(reason);
	if (want_reason)
		assert_string_equal(reason, want_reason);
}

static void roundtrip(const char *msg)
{
	const struct bencode_item *root;
	const char *reason;
	struct bencode_writer w;
	char out[4096];
	size_t len;

	assert_int_equal(decode(msg, &root, &reason), 0);
	bencode_writer_init(&w, out, sizeof(out));
	assert_int_equal(bencode_put_item(&w, root), 0);
	assert_int_equal(bencode_writer_finish(&w, &len), 0);
	assert_int_equal(len, strlen(msg));
	assert_memory_equal(out, msg, len);
}

static void test_roundtrips(void **state)
{
	roundtrip("i0e");
	roundtrip("i-42e");
	roundtrip("i9223372036854775807e");
	roundtrip("i-9223372036854775808e");
	roundtrip("0:");
	roundtrip("4:spam");
	roundtrip("le");
	roundtrip("de");
	roundtrip("l4:spami3el1:ad1:bi-1eeee");
	roundtrip("d7:command5:offer7:call-id6:abc@de5:flagsl13:trust-address9:symmetrice"
		  "3:sdp7:v=0\r\n\x01\x7f"
		  "e");
	roundtrip("d1:zi1e1:ai2ee"); /* keys in any order, order kept */
}

static void test_ping_example(void **state)
{
	const char *msg = "d7:command4:pinge";
	const struct bencode_item *root;
	const char *reason;

	assert_int_equal(decode(msg, &root, &reason), 0);
	assert_int_equal(root->type, BENCODE_DICT);
	assert_int_equal(root->container.count, 1);
	assert_true(bencode_str_eq(bencode_dict_get(root, "command"), "ping"));
}

static void test_truncated_everywhere(void **state)
{
	const char *msg = "d7:command5:offer5:flagsl9:symmetrice3:numi-12e4:dictd1:ali1ei2eeee";
	const struct bencode_item *root;
	const char *reason;

	assert_int_equal(decode(msg, &root, &reason), 0);
	for (size_t n = 0; n < strlen(msg); n++) {
		reason = NULL;
		assert_int_equal(bencode_decode(msg, n, arena, sizeof(arena), &root, &reason),
				 -EBADMSG);
		assert_non_null(reason);
	}
	expect_error("", "empty message");
	expect_error("4:spa", "string length exceeds message");
	expect_error("12", "truncated string");
	expect_error("i12", "truncated integer");
	expect_error("l", "truncated list");
	expect_error("d3:key", "truncated dictionary");
	expect_error("d", "truncated dictionary");
}

static void test_errors(void **state)
{
	expect_error("99999999999999999999:x", "string length exceeds message");
	expect_error("184467440737095516160:x", "string length exceeds message");
	expect_error("i9223372036854775808e", "integer out of range");
	expect_error("i-9223372036854775809e", "integer out of range");
	expect_error("i99999999999999999999999e", "integer out of range");
	expect_error("i03e", "invalid integer");
	expect_error("i-0e", "invalid integer");
	expect_error("ie", "invalid integer");
	expect_error("i-e", "invalid integer");
	expect_error("i1x", "invalid integer");
	expect_error("04:spam", "invalid string length");
	expect_error("4x", "invalid string length");
	expect_error("di1e1:ae", "dictionary key is not a string");
	expect_error("dle1:ae", "dictionary key is not a string");
	expect_error("x", "unexpected byte");
	expect_error("l-e", "unexpected byte");
	expect_error("dee", "trailing data after message");
	expect_error("i1ei2e", "trailing data after message");
}

static void test_trailing_whitespace(void **state)
{
	const struct bencode_item *root;
	const char *reason;

	assert_int_equal(decode("d1:ai1ee\r\n", &root, &reason), 0);
	assert_int_equal(decode("de \t", &root, &reason), 0);
}

static void test_nesting(void **state)
{
	char msg[2 * (BENCODE_MAX_DEPTH + 1) + 1];
	const struct bencode_item *root;
	const char *reason;

	memset(msg, 'l', BENCODE_MAX_DEPTH);
	memset(msg + BENCODE_MAX_DEPTH, 'e', BENCODE_MAX_DEPTH);
	msg[2 * BENCODE_MAX_DEPTH] = '\0';
	assert_int_equal(decode(msg, &root, &reason), 0);

	memset(msg, 'l', BENCODE_MAX_DEPTH + 1);
	memset(msg + BENCODE_MAX_DEPTH + 1, 'e', BENCODE_MAX_DEPTH + 1);
	msg[2 * (BENCODE_MAX_DEPTH + 1)] = '\0';
	expect_error(msg, "nesting too deep");
}

static void test_caps(void **state)
{
	size_t big = BENCODE_MAX_MESSAGE + 1, n;
	char *msg = malloc(big + 8);
	const struct bencode_item *root;
	const char *reason;

	assert_non_null(msg);
	/* oversized */
	memset(msg, 'x', big);
	assert_int_equal(bencode_decode(msg, big, arena, sizeof(arena), &root, &reason), -EBADMSG);
	assert_string_equal(reason, "message too large");
	/* too many items: a list of BENCODE_MAX_ITEMS integers is one item too many */
	n = 0;
	msg[n++] = 'l';
	for (int i = 0; i < BENCODE_MAX_ITEMS; i++) {
		memcpy(msg + n, "i1e", 3);
		n += 3;
	}
	msg[n++] = 'e';
	assert_int_equal(bencode_decode(msg, n, arena, sizeof(arena), &root, &reason), -EBADMSG);
	assert_string_equal(reason, "too many items");
	/* a small arena caps items too */
	assert_int_equal(bencode_decode("li1ei2ee", 8, arena, 2 * sizeof(struct bencode_item) + 8,
					&root, &reason),
			 -EBADMSG);
	assert_string_equal(reason, "too many items");
	/* one fewer fits */
	memcpy(msg + n - 4, "e", 1);
	assert_int_equal(bencode_decode(msg, n - 3, arena, sizeof(arena), &root, &reason), 0);
	assert_int_equal(root->container.count, BENCODE_MAX_ITEMS - 1);
	free(msg);
}

static void test_lookups(void **state)
{
	const char *msg = "d3:str5:hello3:inti-7e4:listl1:a1:be4:dictd1:k1:vee";
	const struct bencode_item *root, *list, *dict;
	struct bencode_str s;
	const char *reason;
	int64_t i;

	assert_int_equal(decode(msg, &root, &reason), 0);
	assert_int_equal(bencode_dict_get_str(root, "str", &s), 0);
	assert_true(bencode_bstr_eq(s, "hello"));
	assert_int_equal(bencode_dict_get_int(root, "int", &i), 0);
	assert_int_equal(i, -7);
	assert_int_equal(bencode_dict_get_list(root, "list", &list), 0);
	assert_int_equal(list->container.count, 2);
	assert_true(bencode_str_eq(list->container.first->next, "b"));
	assert_int_equal(bencode_dict_get_dict(root, "dict", &dict), 0);
	assert_true(bencode_str_eq(bencode_dict_get(dict, "k"), "v"));
	/* wrong types and absent keys */
	assert_int_equal(bencode_dict_get_str(root, "int", &s), -EPROTOTYPE);
	assert_int_equal(bencode_dict_get_int(root, "str", &i), -EPROTOTYPE);
	assert_int_equal(bencode_dict_get_list(root, "dict", &list), -EPROTOTYPE);
	assert_int_equal(bencode_dict_get_dict(root, "list", &dict), -EPROTOTYPE);
	assert_int_equal(bencode_dict_get_str(root, "nope", &s), -ENOENT);
	assert_null(bencode_dict_get(list, "a")); /* not a dictionary */
	assert_false(bencode_str_eq(bencode_dict_get(root, "int"), "-7"));
	assert_false(bencode_str_eq(NULL, "x"));
	assert_false(bencode_str_eq(bencode_dict_get(root, "str"), "hell"));
}

static void test_writer(void **state)
{
	struct bencode_writer w;
	char buf[64];
	size_t len;

	bencode_writer_init(&w, buf, sizeof(buf));
	bencode_put_dict(&w);
	bencode_put_key_cstr(&w, "result", "ok");
	bencode_put_key_int(&w, "n", -5);
	bencode_put_cstr(&w, "l");
	bencode_put_list(&w);
	bencode_put_str(&w, "a\0b", 3);
	bencode_put_end(&w);
	bencode_put_end(&w);
	assert_int_equal(bencode_writer_finish(&w, &len), 0);
	assert_int_equal(len, strlen("d6:result2:ok1:ni-5e1:ll3:a") + 2 + 2);
	assert_memory_equal(buf, "d6:result2:ok1:ni-5e1:ll3:a\0bee", len);

	/* every too-small buffer fails with -ENOSPC and never writes past cap */
	for (size_t cap = 0; cap < strlen("d6:result2:ok1:ni-5ee"); cap++) {
		char small[64];

		memset(small, '#', sizeof(small));
		bencode_writer_init(&w, small, cap);
		bencode_put_dict(&w);
		bencode_put_key_cstr(&w, "result", "ok");
		bencode_put_key_int(&w, "n", -5);
		bencode_put_end(&w);
		assert_int_equal(bencode_writer_finish(&w, &len), -ENOSPC);
		assert_int_equal(small[cap], '#');
	}

	/* unbalanced */
	bencode_writer_init(&w, buf, sizeof(buf));
	bencode_put_list(&w);
	assert_int_equal(bencode_writer_finish(&w, &len), -EINVAL);
	bencode_writer_init(&w, buf, sizeof(buf));
	assert_int_equal(bencode_put_end(&w), -EINVAL);
}

static void test_bad_args(void **state)
{
	const struct bencode_item *root;
	const char *reason;

	assert_int_equal(bencode_decode(NULL, 0, arena, sizeof(arena), &root, &reason), -EINVAL);
	assert_int_equal(bencode_decode("de", 2, NULL, 0, &root, &reason), -EINVAL);
	/* an unaligned arena works */
	assert_int_equal(bencode_decode("li1ee", 5, arena + 1, sizeof(arena) - 1, &root, &reason),
			 0);
	assert_int_equal(root->container.first->integer, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_roundtrips),
	    cmocka_unit_test(test_ping_example),
	    cmocka_unit_test(test_truncated_everywhere),
	    cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_trailing_whitespace),
	    cmocka_unit_test(test_nesting),
	    cmocka_unit_test(test_caps),
	    cmocka_unit_test(test_lookups),
	    cmocka_unit_test(test_writer),
	    cmocka_unit_test(test_bad_args),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
