/* qp_decode.c — quoted-printable decoding (see qp_decode.h). */
#include "sanitize/qp_decode.h"

/* The value of each byte as a hex digit, or -1: ASCII only, whatever the locale. A table, not
 * comparisons: in Japanese text digits and letters alternate at random, and a branch on which
 * one it is goes the wrong way half the time. */
#define HEX(c)                                                                                     \
  ((c) >= '0' && (c) <= '9'   ? (c) - '0'                                                          \
   : (c) >= 'A' && (c) <= 'F' ? (c) - 'A' + 10                                                     \
   : (c) >= 'a' && (c) <= 'f' ? (c) - 'a' + 10                                                     \
                              : -1)
#define HEX4(c) HEX(c), HEX((c) + 1), HEX((c) + 2), HEX((c) + 3)
#define HEX16(c) HEX4(c), HEX4((c) + 4), HEX4((c) + 8), HEX4((c) + 12)
#define HEX64(c) HEX16(c), HEX16((c) + 16), HEX16((c) + 32), HEX16((c) + 48)
static const signed char hex_value[256] = {HEX64(0), HEX64(64), HEX64(128), HEX64(192)};

/* The escape "=AB" (A and B given) into OUT: a byte, nothing for a CRLF soft break, or the three
 * characters as they are. Returns the bytes written. */
static inline gsize
finish_escape(guint8 a, guint8 b, guint8 *out)
{
  int hi = hex_value[a], lo = hex_value[b];
  if ((hi | lo) >= 0) {
    out[0] = (guint8) (hi << 4 | lo);
    return 1;
  }
  if (a == '\r' && b == '\n')
    return 0;
  out[0] = '=';
  out[1] = a;
  out[2] = b;
  return 3;
}

gsize
mugai_qp_decode_step(mugai_qp_decoder *d, const guint8 *in, gsize len, guint8 *out)
{
  const guint8 *p = in, *end = in + len;
  guint8 *o = out;
  while (p < end) {
    if (d->state == 1) { /* after "=": an LF soft break, or the escape's first character */
      guint8 c = *p++;
      if (c == '\n')
        d->state = 0;
      else {
        d->save = c;
        d->state = 2;
      }
      continue;
    }
    if (d->state == 2) {
      o += finish_escape(d->save, *p++, o);
      d->state = 0;
      continue;
    }
    while (p < end && *p != '=')
      *o++ = *p++;
    if (p == end)
      break;
    p++;
    if (end - p >= 2 && p[0] != '\n') { /* the whole escape is here: the common case */
      o += finish_escape(p[0], p[1], o);
      p += 2;
    } else
      d->state = 1;
  }
  return (gsize) (o - out);
}
