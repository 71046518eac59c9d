/* impersonation.h — inbound mail pretending to come from the inside: a From, Sender or Reply-To
 * at one of [gateway] internal_domains on mail that came from outside, or a display name that
 * holds an address other than the real one ("taro@city.example.lg.jp" <someone@example.com>). */
#pragma once
#include <gmime/gmime.h>
#include "config/policy.h"
#include "sanitize/sanitize.h"

typedef struct {
  const char *header; /* static: "From", "Sender" or "Reply-To" */
  char *claimed;      /* the inside address claimed, or the address shown in the display name */
  char *real;         /* (nullable) the real address, when the display name shows another one */
} mugai_impersonation;

/* The first claim in MESSAGE (inbound, ENVELOPE's sender not exempt), or NULL. (transfer full) */
mugai_impersonation *mugai_impersonation_find(const mugai_policy *policy, GMimeMessage *message,
                                              const mugai_envelope *envelope);
void mugai_impersonation_free(mugai_impersonation *imp); /* NULL-safe */
G_DEFINE_AUTOPTR_CLEANUP_FUNC(mugai_impersonation, mugai_impersonation_free)
