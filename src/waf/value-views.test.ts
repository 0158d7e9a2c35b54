import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dataUriView, valueViews } from './value-views.js';

test('data: URIs of types that cannot run script are inspected as their payload', () => {
  assert.deepEqual(dataUriView('data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=='), []);
  assert.deepEqual(dataUriView('data:text/plain;charset=utf-8,hello%20world'), ['hello world']);
  assert.deepEqual(dataUriView('data:application/json;base64,eyJhIjoxfQ=='), ['{"a":1}']);
  // script-capable types are inspected as their markup (every XSS rule reads it)
  assert.deepEqual(dataUriView('data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg=='), ['<script>alert(1)</script>']);
  assert.deepEqual(dataUriView('data:image/svg+xml;base64,PHN2Zy8+'), ['<svg/>']);
  assert.deepEqual(dataUriView('data:image/svg+xml,%3Csvg%20onload%3Dalert(1)%3E'), ['<svg onload=alert(1)>']);
  // a payload that is not what the URI says, and other values stay raw
  assert.equal(dataUriView('data:image/png;base64,<script>'), undefined);
  assert.equal(dataUriView('data:,<script>alert(1)</script>'), undefined);
  assert.equal(dataUriView('hello'), undefined);
  // the payload of a text type is still inspected
  assert.deepEqual(valueViews([{ location: 'query', name: 'a', value: "data:text/plain,1'%20union%20select%201--" }]), [{ location: 'query', name: 'a', value: "1' union select 1--" }]);
});
