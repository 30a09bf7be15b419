/* Phone numbers: normalisation to E.164 and a compact numeric key. */
#ifndef GD_PHONE_H
#define GD_PHONE_H

#include <stddef.h>
#include <stdint.h>

#define PHONE_MAX 17 /* "+" + 15 digits + NUL */

/*
 * Normalises a phone number as people type it into E.164: spaces, dashes,
 * dots and parentheses are dropped, a leading "00" becomes "+". The result
 * must be "+" then 8-15 digits, the first not 0. Returns 0, or -1 with a
 * static reason in *why.
 */
int phone_normalize(char out[PHONE_MAX], const char *in, size_t len,
		    const char **why);
/*
 * Whether E.164 number e164 can exist: its country calling code is one
 * libphonenumber knows, and the digits after it have a length that code's
 * numbers have (schemas/data/phone-lengths.txt, written from the
 * library's metadata by tools/gen-phone-lengths.cc), and they fit one
 * of the code's number types (fixed line, mobile, toll free, ...): the
 * library's per-type patterns and lengths, made into one digit
 * automaton per code (schemas/data/phone-types.txt, written by
 * tools/gen-phone-types.cc and .py; built once per process). Returns 0,
 * or -1 with the reason in why (n bytes). A table lookup and a walk of
 * at most 15 states: cheap per row.
 */
int phone_possible(const char *e164, char *why, size_t n);
/* True when s is already strict E.164. */
int phone_is_e164(const char *s);
/* The digits as an integer: unique per E.164 number (no leading zeros). */
uint64_t phone_key(const char *e164);

#endif
