import { _, Ajv2020, str, type ErrorObject, type KeywordCxt } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import schema from './listing.schema.json' with { type: 'json' };
import type { Listing } from './generated/listing.ts';
import { referenceData } from './reference-data.ts';
import { characterCount, findUnstorable, memberToken } from './storable-text.ts';

/** One reason a listing document is invalid: a JSON Pointer to the field and what is wrong with it. */
export interface ListingProblem {
  path: string;
  message: string;
}

export type ListingValidation = { ok: true; listing: Listing } | { ok: false; problems: ListingProblem[] };

// ajv-formats is CommonJS; under NodeNext its plugin function sits on `default`.
const addFormats = addFormatsModule.default;
const ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false, allowUnionTypes: true });
addFormats(ajv, ['email', 'uri']);
countLengthsLazily(ajv);
const validateShape = ajv.compile<Listing>(schema);

/**
 * `maxLength` and `minLength` as JSON Schema defines them (in characters, so an emoji is one), with
 * the same errors as Ajv's own, but counted only when the UTF-16 length cannot decide: a text has at
 * most as many characters as UTF-16 units and at least half as many. Ajv counts every string
 * character by character: two thirds of validating a benchmark listing (descriptions of up to
 * 20,000 characters are checked twice).
 */
function countLengthsLazily(instance: Ajv2020): void {
  instance.removeKeyword('maxLength');
  instance.removeKeyword('minLength');
  instance.addKeyword({
    keyword: ['maxLength', 'minLength'],
    // Where Ajv's own run: before `pattern` and `format`, so that problems keep their order.
    before: 'pattern',
    type: 'string',
    schemaType: 'number',
    error: {
      message: ({ keyword, schemaCode }) =>
        str`must NOT have ${keyword === 'maxLength' ? 'more' : 'fewer'} than ${schemaCode} characters`,
      params: ({ schemaCode }) => _`{limit: ${schemaCode}}`,
    },
    code(cxt: KeywordCxt) {
      const { keyword, data, schemaCode, gen } = cxt;
      const count = gen.scopeValue('func', { ref: characterCount });
      cxt.fail(
        keyword === 'maxLength'
          ? _`${data}.length > ${schemaCode} && ${count}(${data}) > ${schemaCode}`
          : _`${data}.length < ${schemaCode} || (${data}.length < 2 * ${schemaCode} && ${count}(${data}) < ${schemaCode})`,
      );
    },
  });
}

function describe(error: ErrorObject): ListingProblem {
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'required':
      return {
        path: `${error.instancePath}/${memberToken(String(params.missingProperty))}`,
        message: 'is required',
      };
    case 'additionalProperties':
      return {
        path: `${error.instancePath}/${memberToken(String(params.additionalProperty))}`,
        message: 'is not a known field',
      };
    case 'enum':
      return {
        path: error.instancePath || '/',
        message: `must be one of ${(params.allowedValues as unknown[]).map(String).join(', ')}`,
      };
    case 'pattern':
      return { path: error.instancePath, message: `must match the pattern ${String(params.pattern)}` };
    default:
      return { path: error.instancePath || '/', message: error.message ?? 'is invalid' };
  }
}

/**
 * Validates a listing document against catalog-schema/listing.schema.json and the reference data
 * (OZG-IDs, LeiKa keys, Themenfelder, Lebenslagen must exist; plan ids must be unique). Every problem
 * names the field's JSON Pointer and the reason. Used for push and for harvest alike.
 */
export function validateListing(document: unknown): ListingValidation {
  if (!validateShape(document)) {
    const problems = (validateShape.errors ?? [])
      // `if`/`then` failures repeat the nested error that caused them.
      .filter((e) => e.keyword !== 'if')
      .map(describe);
    return { ok: false, problems: capped(dedupe(problems)) };
  }
  const listing = document;
  const problems: ListingProblem[] = [];
  const unstorableText = findUnstorable(listing, '');
  if (unstorableText) {
    problems.push({
      path: unstorableText.path,
      message: `holds ${unstorableText.what}, which cannot be stored`,
    });
  }
  const ref = referenceData();
  listing.ozgIds?.forEach((id, i) => {
    if (!ref.ozgLeistungen.has(id)) problems.push({ path: `/ozgIds/${i}`, message: `unknown OZG-ID ${id}` });
  });
  listing.leikaKeys?.forEach((key, i) => {
    if (!ref.leikaLeistungen.has(key))
      problems.push({ path: `/leikaKeys/${i}`, message: `unknown LeiKa key ${key}` });
  });
  listing.themenfelder?.forEach((id, i) => {
    if (!ref.themenfelder.has(id))
      problems.push({ path: `/themenfelder/${i}`, message: `unknown Themenfeld ${id}` });
  });
  listing.lebenslagen?.forEach((id, i) => {
    if (!ref.lebenslagen.has(id))
      problems.push({ path: `/lebenslagen/${i}`, message: `unknown Lebenslage ${id}` });
  });
  const planIds = new Set<string>();
  listing.plans.forEach((plan, i) => {
    if (planIds.has(plan.id))
      problems.push({ path: `/plans/${i}/id`, message: `duplicate plan id ${plan.id}` });
    planIds.add(plan.id);
  });
  return problems.length > 0 ? { ok: false, problems } : { ok: true, listing };
}

/** Most problems named for one listing; the rest are counted in a last one. */
export const MAX_PROBLEMS = 100;

/**
 * The first MAX_PROBLEMS problems and a count of the others. A list of 40,000 wrong entries gave
 * 80,000 problems: a 230 kB request answered with megabytes, and a harvest run stored them all.
 */
function capped(problems: ListingProblem[]): ListingProblem[] {
  if (problems.length <= MAX_PROBLEMS) return problems;
  return [
    ...problems.slice(0, MAX_PROBLEMS),
    { path: '/', message: `and ${problems.length - MAX_PROBLEMS} more problems` },
  ];
}

function dedupe(problems: ListingProblem[]): ListingProblem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${p.path}\u0000${p.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
