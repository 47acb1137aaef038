/**
 * Validates feed messages against the published JSON Schema (feedJsonSchemas(), draft 2020-12) with
 * ajv, independently of the zod definitions the schema is generated from.
 */
import assert from 'node:assert/strict';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { feedJsonSchemas, type FeedSchemaName } from '../../src/sink/feed-protocol.js';

const ajv = new Ajv2020({ strict: false, allErrors: true });
const schemas = feedJsonSchemas();
const validators = new Map<FeedSchemaName, ReturnType<typeof ajv.compile>>();

function validator(name: FeedSchemaName) {
  let v = validators.get(name);
  if (!v) validators.set(name, (v = ajv.compile(schemas[name])));
  return v;
}

/** Asserts that `message` is valid under the schema `name` (default: any server message). */
export function assertSchema(message: unknown, name: FeedSchemaName = 'server'): void {
  const validate = validator(name);
  assert.ok(validate(message), `not a valid ${name} message: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(message).slice(0, 600)}`);
}

/** True when `message` is valid under `name`. */
export function isValid(message: unknown, name: FeedSchemaName): boolean {
  return validator(name)(message) === true;
}
