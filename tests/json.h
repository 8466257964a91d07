/* json.h: a strict JSON syntax checker for the tests (RFC 8259 values, no extensions). */
#ifndef CLNET_TEST_JSON_H
#define CLNET_TEST_JSON_H

/* Returns 1 when text is exactly one valid JSON value (with surrounding whitespace). */
int json_valid(const char *text);

#endif
