/* sha256.c — see sha256.h. */
#include "util/sha256.h"
#include <openssl/evp.h>

struct mugai_sha256 {
  EVP_MD_CTX *ctx;
};

mugai_sha256 *
mugai_sha256_new(void)
{
  mugai_sha256 *h = g_new0(mugai_sha256, 1);
  h->ctx = EVP_MD_CTX_new();
  if (h->ctx == NULL || EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL) != 1)
    g_error("OpenSSL cannot start a SHA-256"); /* only without memory: as g_malloc does */
  return h;
}

void
mugai_sha256_update(mugai_sha256 *h, const void *data, gsize len)
{
  if (len > 0 && EVP_DigestUpdate(h->ctx, data, len) != 1)
    g_error("OpenSSL SHA-256 update failed");
}

char *
mugai_sha256_hex(mugai_sha256 *h)
{
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (EVP_DigestFinal_ex(h->ctx, digest, &n) != 1 || n != 32)
    g_error("OpenSSL SHA-256 final failed");
  char *hex = g_malloc(2 * n + 1);
  for (unsigned int i = 0; i < n; i++) {
    hex[2 * i] = "0123456789abcdef"[digest[i] >> 4];
    hex[2 * i + 1] = "0123456789abcdef"[digest[i] & 15];
  }
  hex[2 * n] = '\0';
  return hex;
}

void
mugai_sha256_reset(mugai_sha256 *h)
{
  if (EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL) != 1)
    g_error("OpenSSL cannot start a SHA-256");
}

void
mugai_sha256_free(mugai_sha256 *h)
{
  if (h == NULL)
    return;
  EVP_MD_CTX_free(h->ctx);
  g_free(h);
}
