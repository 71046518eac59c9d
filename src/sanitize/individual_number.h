/* individual_number.h — Japanese individual numbers (マイナンバー, 個人番号) in text, for the
 * outbound data-loss rule: 12 digits whose last is the check digit of the other eleven (the
 * formula of the 行政手続における特定の個人を識別するための番号の利用等に関する法律 施行令),
 * written as people write them: 123456789018, 1234 5678 9018, 1234-5678-9018, in full-width
 * digits, with full-width spaces or hyphens. A digit run longer than 12 (a phone or account
 * number with more digits) is not one, nor is a 12-digit number whose check digit fails.
 */
#pragma once
#include <glib.h>

/* Is there an individual number in TEXT (UTF-8, LEN bytes)? *AT (nullable) gets the byte offset
 * of the first one. */
gboolean mugai_individual_number_find(const char *text, gsize len, gsize *at);

/* The check digit of the eleven digits D (0-9 values, most significant first). */
guint mugai_individual_number_check_digit(const guint8 d[11]);
