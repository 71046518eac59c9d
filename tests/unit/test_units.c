/* test_units.c — the number, size and duration syntaxes admins write in mugai.conf, and the
 * capped buffer (both in src/util). Table-driven: each row is one thing an admin might type. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <glib.h>

#include "util/buf.h"
#include "util/units.h"

typedef struct {
  const char *text;
  guint64 expected;
} good_row;

#define K (G_GUINT64_CONSTANT(1) << 10)
#define M (G_GUINT64_CONSTANT(1) << 20)
#define G (G_GUINT64_CONSTANT(1) << 30)

typedef gboolean (*parse_fn)(const char *text, guint64 *out);

static void check_good(parse_fn parse, const good_row *rows, gsize n)
{
  for (gsize i = 0; i < n; i++) {
    guint64 got = 12345;
    if (!parse(rows[i].text, &got))
      fail_msg("\"%s\" was rejected", rows[i].text);
    if (got != rows[i].expected)
      fail_msg("\"%s\" gave %" G_GUINT64_FORMAT ", want %" G_GUINT64_FORMAT, rows[i].text, got,
               rows[i].expected);
  }
}

static void check_bad(parse_fn parse, const char *const *rows, gsize n)
{
  for (gsize i = 0; i < n; i++) {
    guint64 got = 0;
    if (parse(rows[i], &got))
      fail_msg("\"%s\" was accepted as %" G_GUINT64_FORMAT, rows[i], got);
  }
}

static void parses_sizes_with_binary_units_in_any_case(void **state)
{
  (void) state;
  static const good_row rows[] = {
    {"0", 0},          {"1", 1},          {"123", 123},     {"007", 7},
    {"5B", 5},         {"5b", 5},         {"10K", 10 * K},  {"10k", 10 * K},
    {"10KB", 10 * K},  {"10kb", 10 * K},  {"10kB", 10 * K}, {"1M", M},
    {"64m", 64 * M},   {"1MB", M},        {"1G", G},        {"2g", 2 * G},
    {"2GB", 2 * G},    {"0M", 0},         {"1536K", 1536 * K},
    {"18446744073709551615", G_MAXUINT64},
    {"17179869183G", G_GUINT64_CONSTANT(17179869183) * G}, /* the largest G that fits */
  };
  check_good(mugai_parse_size, rows, G_N_ELEMENTS(rows));
}

/* Decided: no spaces anywhere ("10 M" is rejected like " 10M"), since the config parser already
 * trims the value and anything else in it is a typo we should not guess about. */
static void rejects_sizes_that_are_not_exactly_a_number_and_unit(void **state)
{
  (void) state;
  static const char *const rows[] = {
    "",     "M",    "K",     "B",     "KB",   "1.5M", "10 M", " 10M",  "10M ",     "10M\n",
    "-1",   "+1",   "10Q",   "10MM",  "10BM", "10BB", "10MiB", "0x10", "1e3",      "1,024",
    "ten",  "10T",  "\xef\xbc\x91\xef\xbc\x90M", /* full-width "１０M" from a Japanese IME */
  };
  check_bad(mugai_parse_size, rows, G_N_ELEMENTS(rows));
}

static void rejects_sizes_that_overflow_64_bits(void **state)
{
  (void) state;
  static const char *const rows[] = {
    "18446744073709551616", "99999999999999999999999", "17179869184G", "99999999999G",
    "17592186044416M",      "18014398509481984K",
  };
  check_bad(mugai_parse_size, rows, G_N_ELEMENTS(rows));
}

static void parses_durations_with_units(void **state)
{
  (void) state;
  static const good_row rows[] = {
    {"0", 0},     {"45", 45},    {"30s", 30},       {"5m", 300},  {"2h", 7200},
    {"3d", 259200}, {"1w", 604800}, {"007s", 7},    {"0w", 0},
    {"18446744073709551615", G_MAXUINT64}, {"18446744073709551615s", G_MAXUINT64},
  };
  check_good(mugai_parse_duration, rows, G_N_ELEMENTS(rows));
}

/* Decided: units are lower case only; "5M" could mean months and is rejected, not read as 5m. */
static void rejects_durations_that_are_not_exactly_a_number_and_unit(void **state)
{
  (void) state;
  static const char *const rows[] = {
    "", "s", "m", "1.5h", "5M", "30S", "2H", "10 s", " 10s", "10s ", "-1", "+5",
    "1h30m", "5min", "10ms", "0x10", "\xef\xbc\x91s",
  };
  check_bad(mugai_parse_duration, rows, G_N_ELEMENTS(rows));
}

static void parses_each_duration_unit_at_its_largest_value_and_rejects_one_more(void **state)
{
  (void) state;
  static const struct { char unit; guint64 seconds; } units[] = {
    {'s', 1}, {'m', 60}, {'h', 3600}, {'d', 86400}, {'w', 604800},
  };
  for (gsize i = 0; i < G_N_ELEMENTS(units); i++) {
    guint64 largest = G_MAXUINT64 / units[i].seconds;
    g_autofree char *ok = g_strdup_printf("%" G_GUINT64_FORMAT "%c", largest, units[i].unit);
    g_autofree char *over = g_strdup_printf("%" G_GUINT64_FORMAT "%c", largest + 1, units[i].unit);
    guint64 got = 0;
    if (!mugai_parse_duration(ok, &got) || got != largest * units[i].seconds)
      fail_msg("\"%s\" was rejected or misread", ok);
    if (units[i].seconds > 1 && mugai_parse_duration(over, &got))
      fail_msg("\"%s\" overflowed silently", over);
  }
}

static void parses_whole_numbers_only(void **state)
{
  (void) state;
  static const good_row good[] = {{"0", 0}, {"65535", 65535}, {"007", 7},
                                  {"18446744073709551615", G_MAXUINT64}};
  check_good(mugai_parse_uint, good, G_N_ELEMENTS(good));
  static const char *const bad[] = {"", "-1", "+1", " 1", "1 ", "1K", "1.0", "0x1", "one",
                                    "18446744073709551616"};
  check_bad(mugai_parse_uint, bad, G_N_ELEMENTS(bad));
}

static void formats_sizes_in_the_largest_exact_unit_and_parses_them_back(void **state)
{
  (void) state;
  static const struct { guint64 bytes; const char *text; } rows[] = {
    {0, "0"},          {1, "1"},           {1023, "1023"},    {1024, "1K"},
    {1536, "1536"},    {3072, "3K"},       {M, "1M"},         {M + K, "1025K"},
    {64 * M, "64M"},   {G, "1G"},          {2 * G, "2G"},     {G + 1, "1073741825"},
    {G_MAXUINT64, "18446744073709551615"}, {G_GUINT64_CONSTANT(17179869183) * G, "17179869183G"},
  };
  for (gsize i = 0; i < G_N_ELEMENTS(rows); i++) {
    char buf[MUGAI_SIZE_TEXT_MAX];
    assert_string_equal(mugai_format_size(rows[i].bytes, buf), rows[i].text);
    guint64 back = 0;
    assert_true(mugai_parse_size(buf, &back));
    assert_true(back == rows[i].bytes);
  }
}

static void formats_durations_as_admins_write_them_and_parses_them_back(void **state)
{
  (void) state;
  static const struct { guint64 seconds; const char *text; } rows[] = {
    {0, "0s"},       {1, "1s"},        {60, "60s"},       {1800, "1800s"}, {3600, "1h"},
    {5400, "5400s"}, {86400, "1d"},    {90000, "25h"},    {604800, "7d"},
    {G_MAXUINT64, "18446744073709551615s"},
  };
  for (gsize i = 0; i < G_N_ELEMENTS(rows); i++) {
    char buf[MUGAI_DURATION_TEXT_MAX];
    assert_string_equal(mugai_format_duration(rows[i].seconds, buf), rows[i].text);
    guint64 back = 0;
    assert_true(mugai_parse_duration(buf, &back));
    assert_true(back == rows[i].seconds);
  }
}

static void buffer_accepts_appends_up_to_its_cap_exactly(void **state)
{
  (void) state;
  g_autoptr(mugai_buf) buf = mugai_buf_new(8);
  assert_true(mugai_buf_append(buf, "abcd", 4));
  assert_true(mugai_buf_append_str(buf, "efgh"));
  assert_int_equal(buf->bytes->len, 8);
  assert_memory_equal(buf->bytes->data, "abcdefgh", 8);
  assert_true(mugai_buf_append(buf, NULL, 0)); /* an empty append fits even when full */
}

static void buffer_rejects_an_append_past_its_cap_and_keeps_its_contents(void **state)
{
  (void) state;
  g_autoptr(mugai_buf) buf = mugai_buf_new(5);
  assert_true(mugai_buf_append(buf, "abc", 3));
  assert_false(mugai_buf_append(buf, "def", 3));
  assert_int_equal(buf->bytes->len, 3);
  assert_memory_equal(buf->bytes->data, "abc", 3);
  assert_false(mugai_buf_append(buf, "x", G_MAXSIZE)); /* a length that would wrap a sum */
  assert_int_equal(buf->bytes->len, 3);

  g_autoptr(mugai_buf) none = mugai_buf_new(0);
  assert_false(mugai_buf_append_str(none, "a"));
  assert_int_equal(none->bytes->len, 0);
  mugai_buf_free(NULL);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(parses_sizes_with_binary_units_in_any_case),
    cmocka_unit_test(rejects_sizes_that_are_not_exactly_a_number_and_unit),
    cmocka_unit_test(rejects_sizes_that_overflow_64_bits),
    cmocka_unit_test(parses_durations_with_units),
    cmocka_unit_test(rejects_durations_that_are_not_exactly_a_number_and_unit),
    cmocka_unit_test(parses_each_duration_unit_at_its_largest_value_and_rejects_one_more),
    cmocka_unit_test(parses_whole_numbers_only),
    cmocka_unit_test(formats_sizes_in_the_largest_exact_unit_and_parses_them_back),
    cmocka_unit_test(formats_durations_as_admins_write_them_and_parses_them_back),
    cmocka_unit_test(buffer_accepts_appends_up_to_its_cap_exactly),
    cmocka_unit_test(buffer_rejects_an_append_past_its_cap_and_keeps_its_contents),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
