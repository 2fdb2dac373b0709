/* test_jsonread.c: unit tests for formats/jsonread: JSON through libyaml, as
 * config.json and safetensors headers use it.
 */
#include <string.h>
#include "error.h"
#include "jsonread.h"
#include "test.h"

static plm_json *
parse(const char *text, int *ret_status, char *err)
{
  plm_json *j = NULL;
  *ret_status = plm_json_Parse(text, strlen(text), &j, err);
  return j;
}

static void
test_values(void)
{
  char            err[PLM_ERRBUFSIZE] = "";
  int             status;
  plm_json       *j = parse("{\"a\":1,\"b\":{\"c\":[true,null,\"null\"]},\"e\":\"caf\\u00e9 a\\/b\","
                            "\"f\":1e-05,\"a\":2}", &status, err);
  const plm_json *b, *c;

  TEST(status == PLM_OK && j->kind == PLM_JSON_MAP && j->n == 5, "compact JSON without spaces after ':' (%s)", err);
  if (status) return;
  TEST(strcmp(plm_json_Get(j, "a")->value, "2") == 0, "the last of duplicate keys wins");
  b = plm_json_Get(j, "b");
  c = plm_json_Get(b, "c");
  TEST(c && c->kind == PLM_JSON_SEQ && c->n == 3, "nested array");
  if (c && c->n == 3) {
    TEST(!c->kids[1]->quoted && strcmp(c->kids[1]->value, "null") == 0, "bare null");
    TEST(c->kids[2]->quoted && strcmp(c->kids[2]->value, "null") == 0, "the string \"null\" is quoted");
  }
  TEST(strcmp(plm_json_Get(j, "e")->value, "caf\xc3\xa9 a/b") == 0, "\\u and \\/ escapes");
  TEST(strcmp(plm_json_Get(j, "f")->value, "1e-05") == 0, "numbers kept as written");
  TEST(plm_json_Get(j, "zz") == NULL && plm_json_Get(c, "a") == NULL, "absent key; Get on an array");
  plm_json_Free(j);
}

static void
test_pretty(void)
{
  char      err[PLM_ERRBUFSIZE] = "";
  int       status;
  plm_json *j = parse("{\n  \"architectures\": [\n    \"EsmForMaskedLM\"\n  ],\n  \"hidden_size\": 96\n}\n", &status, err);

  TEST(status == PLM_OK && strcmp(plm_json_Get(j, "hidden_size")->value, "96") == 0, "indented JSON (%s)", err);
  plm_json_Free(j);
}

static void
test_bad(void)
{
  char      err[PLM_ERRBUFSIZE] = "";
  char      deep[200];
  int       status;
  plm_json *j;

  memset(deep, '[', 100);
  memset(deep + 100, ']', 100);
  j = parse("", &status, err);
  TEST(status == PLM_EFORMAT && !j, "empty text (%s)", err);
  j = parse("{\"a\": [1, 2}", &status, err);
  TEST(status == PLM_EFORMAT && !j, "mismatched brackets (%s)", err);
  j = parse("{[1]: 2}", &status, err);
  TEST(status == PLM_EFORMAT && !j, "non-string key (%s)", err);
  j = parse("{\"a\": &x 1, \"b\": *x}", &status, err);
  TEST(status == PLM_EFORMAT && !j, "aliases refused (%s)", err);
  j = NULL;
  status = plm_json_Parse(deep, sizeof deep, &j, err);
  TEST(status == PLM_ELIMIT && !j, "100 nested arrays (%s)", err);
}

int
main(void)
{
  test_values();
  test_pretty();
  test_bad();
  return test_done();
}
