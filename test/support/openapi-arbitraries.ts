import fc from "fast-check";

/**
 * fast-check arbitraries derived from the OpenAPI document the server serves: the operations,
 * and for each one its path parameters, query strings and request bodies — values the schema
 * accepts and values it must refuse. What the generators cannot know from the schema (which
 * ids are real, what an amount or a period looks like) comes from the caller as hints.
 *
 * The generated values are *plans*: real ids are `RealId` slots resolved when the request is
 * sent (the pools grow as the fuzzer creates things), and very large values are `Bulky`, which
 * a counterexample prints as a short label instead of megabytes.
 */

/** The subset of JSON Schema the API's TypeBox schemas use. */
export interface JsonSchema {
  type?: string | string[];
  enum?: readonly unknown[];
  const?: unknown;
  anyOf?: readonly JsonSchema[];
  oneOf?: readonly JsonSchema[];
  properties?: Record<string, JsonSchema>;
  required?: readonly string[];
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  minItems?: number;
  maxItems?: number;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  pattern?: string;
  format?: string;
}

export interface OpenApiParameter {
  name: string;
  in: "path" | "query" | "header" | "cookie";
  required?: boolean;
  schema: JsonSchema;
}

interface OpenApiOperation {
  summary?: string;
  description?: string;
  parameters?: OpenApiParameter[];
  requestBody?: { required?: boolean; content: Record<string, { schema: JsonSchema }> };
}

export interface OpenApiDocument {
  paths: Record<string, Record<string, OpenApiOperation>>;
}

export interface Operation {
  /** `POST /cases/{caseId}/claim`: the method and the path template, as the document names it. */
  key: string;
  method: string;
  path: string;
  pathParams: OpenApiParameter[];
  queryParams: OpenApiParameter[];
  /** The `application/json` request body's schema, or null when the operation declares none. */
  jsonBody: JsonSchema | null;
  /** The operation takes `multipart/form-data` (documented only: the handler reads the parts). */
  multipart: boolean;
  /** The form fields its multipart body declares, besides the `file` part. */
  multipartFields: readonly string[];
}

const METHODS = new Set(["get", "post", "put", "patch", "delete"]);

export function operationsOf(doc: OpenApiDocument): Operation[] {
  const out: Operation[] = [];
  for (const [path, item] of Object.entries(doc.paths))
    for (const [method, op] of Object.entries(item)) {
      if (!METHODS.has(method)) continue;
      const params = op.parameters ?? [];
      const json = op.requestBody?.content["application/json"]?.schema ?? null;
      const form = op.requestBody?.content["multipart/form-data"]?.schema ?? null;
      out.push({
        key: `${method.toUpperCase()} ${path}`,
        method: method.toUpperCase(),
        path,
        pathParams: params.filter((p) => p.in === "path"),
        queryParams: params.filter((p) => p.in === "query"),
        jsonBody: json,
        multipart: form !== null,
        multipartFields: Object.keys(form?.properties ?? {}).filter((name) => name !== "file"),
      });
    }
  return out;
}

/** A real id of some kind, picked when the request is sent: `slot` modulo the pool's size. */
export class RealId {
  constructor(
    readonly pool: string,
    readonly slot: number,
  ) {}
  [fc.toStringMethod](): string {
    return `real(${this.pool}#${this.slot})`;
  }
}

/** A value too large to print: built on first use, shown in counterexamples by its label. */
export class Bulky {
  #value: string | null = null;
  constructor(
    readonly label: string,
    private readonly make: () => string,
    /** `string`: serialised as a JSON string; `raw`: the text is JSON already (deep nesting). */
    readonly asJson: "string" | "raw" = "string",
  ) {}
  get value(): string {
    this.#value ??= this.make();
    return this.#value;
  }
  [fc.toStringMethod](): string {
    return this.label;
  }
}

export const hugeString = (length: number, unit = "x"): Bulky =>
  new Bulky(`"${unit}"×${length}`, () => unit.repeat(length));

export const deepNesting = (depth: number, open = "[", close = "]"): Bulky =>
  new Bulky(`${open}…${close}×${depth}`, () => open.repeat(depth) + close.repeat(depth), "raw");

export type Resolve = (id: RealId) => string;

/** JSON text of a plan value: real ids resolved, bulky values expanded. */
export function toJsonText(value: unknown, resolve: Resolve): string {
  if (value instanceof RealId) return JSON.stringify(resolve(value));
  if (value instanceof Bulky) return value.asJson === "raw" ? value.value : JSON.stringify(value.value);
  if (Array.isArray(value)) return `[${value.map((v) => toJsonText(v, resolve)).join(",")}]`;
  if (value !== null && typeof value === "object")
    return `{${Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${JSON.stringify(k)}:${toJsonText(v, resolve)}`)
      .join(",")}}`;
  // Non-finite numbers serialise as JSON.stringify does (null).
  return JSON.stringify(value) ?? "null";
}

/** The text of a plan value in a URL or a form field. */
export function toText(value: unknown, resolve: Resolve): string {
  if (value instanceof RealId) return resolve(value);
  if (value instanceof Bulky) return value.value;
  if (typeof value === "string") return value;
  if (value !== null && typeof value === "object") return toJsonText(value, resolve);
  return String(value);
}

/**
 * Domain knowledge the schema lacks, by property name (`accountIds[]` for an array's items):
 * an arbitrary of valid values, or undefined to fall back on the schema.
 */
export type Hint = (name: string, schema: JsonSchema) => fc.Arbitrary<unknown> | undefined;

const noHint: Hint = () => undefined;

/**
 * Which requests to generate for one part of a request: only what the schema accepts, only
 * what it must refuse, or both. A plan breaks one part at a time (more requests get past the
 * first check), and now and then every part at once.
 */
export type Mode = "valid" | "broken" | "any";

const codePoints = (s: string): number => [...s].length;

/** Texts that have broken parsers, queries and file systems before. */
export const NASTY_TEXT = [
  "",
  " ",
  "null",
  "undefined",
  "0",
  "-1",
  "1e309",
  "NaN",
  "9007199254740993",
  "true",
  "../",
  "../../../../etc/passwd",
  "..%2f..%2f",
  "%00",
  "\u0000",
  "a\u0000b",
  "\r\nX-Injected: 1",
  "' OR 1=1 --",
  "'; DROP TABLE cases; --",
  '" OR ""="',
  "%' AND 1=1 AND '%'='",
  "\\",
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a template-injection probe, meant literally
  "${7*7}",
  "{{7*7}}",
  "<script>alert(1)</script>",
  "Robert'); --",
  "退款申请",
  "🙂🚀",
  "\u202eevil",
  "\ud800",
  "\uffff",
  "e\u0301",
  "__proto__",
  "constructor",
  "[object Object]",
] as const;

export function nastyString(maxLength = 64): fc.Arbitrary<string> {
  return fc.oneof(
    fc.constantFrom(...NASTY_TEXT),
    fc.string({ maxLength, unit: "binary" }),
    fc.string({ maxLength, unit: "grapheme" }),
  );
}

/** A string of the schema's length bounds (and pattern or format, where it has one). */
function validString(schema: JsonSchema): fc.Arbitrary<string> {
  const min = schema.minLength ?? 0;
  const max = Math.max(min, Math.min(schema.maxLength ?? 48, 48));
  // The API refuses U+0000 in any text (PostgreSQL cannot store it): not a valid value anywhere.
  const fits = (s: string) =>
    codePoints(s) >= min && codePoints(s) <= (schema.maxLength ?? Infinity) && !s.includes("\u0000");
  switch (schema.format) {
    case "date-time":
      return fc
        .date({
          min: new Date("2024-01-01T00:00:00Z"),
          max: new Date("2028-12-31T23:59:59Z"),
          noInvalidDate: true,
        })
        .map((d) => d.toISOString());
    case "date":
      return fc
        .date({
          min: new Date("2024-01-01T00:00:00Z"),
          max: new Date("2028-12-31T00:00:00Z"),
          noInvalidDate: true,
        })
        .map((d) => d.toISOString().slice(0, 10));
    case "email":
      return fc.emailAddress().filter(fits);
    case "uri":
      return fc
        .tuple(
          fc.constantFrom("https", "http"),
          fc.constantFrom("203.0.113.7", "[2001:db8::7]"),
          fc.webPath(),
        )
        .map(([scheme, host, path]) => `${scheme}://${host}${path}`)
        .filter(fits);
  }
  if (schema.pattern) return fc.stringMatching(new RegExp(schema.pattern)).filter(fits);
  const options: fc.WeightedArbitrary<string>[] = [
    { weight: 3, arbitrary: fc.string({ minLength: min, maxLength: max }) },
    { weight: 1, arbitrary: fc.string({ minLength: min, maxLength: max, unit: "grapheme" }) },
    { weight: 1, arbitrary: fc.constantFrom(...NASTY_TEXT) },
  ];
  // Prose where there is room for it: free-text fields often want a sentence or two.
  if ((schema.maxLength ?? 1000) >= 100)
    options.push({
      weight: 4,
      arbitrary: fc.lorem({ maxCount: 12, mode: "words" }).filter((s) => s.length >= min),
    });
  return fc.oneof(...options).filter(fits);
}

function numberBounds(schema: JsonSchema): { min: number; max: number } {
  return { min: schema.minimum ?? -1_000_000, max: schema.maximum ?? 1_000_000 };
}

function types(schema: JsonSchema): string[] {
  if (schema.type === undefined) return [];
  return Array.isArray(schema.type) ? schema.type : [schema.type];
}

/** Values the schema accepts. */
export function validValue(schema: JsonSchema, hint: Hint = noHint, name = ""): fc.Arbitrary<unknown> {
  const alternatives = schema.anyOf ?? schema.oneOf;
  // Hints refine free-form values only: an enum or a union already says what is valid.
  const hinted =
    name && !alternatives && !schema.enum && schema.const === undefined ? hint(name, schema) : undefined;
  if (hinted) return hinted;
  if (alternatives) return fc.oneof(...alternatives.map((s) => validValue(s, hint, name)));
  if (schema.const !== undefined) return fc.constant(schema.const);
  if (schema.enum) return fc.constantFrom(...schema.enum);
  const [type, ...more] = types(schema);
  if (more.length)
    return fc.oneof(...types(schema).map((t) => validValue({ ...schema, type: t }, hint, name)));
  switch (type) {
    case "string":
      return validString(schema);
    case "integer": {
      const { min, max } = numberBounds(schema);
      return fc.oneof(fc.constantFrom(min, max), fc.integer({ min, max }));
    }
    case "number": {
      const { min, max } = numberBounds(schema);
      return fc.double({ min, max, noNaN: true, noDefaultInfinity: true });
    }
    case "boolean":
      return fc.boolean();
    case "null":
      return fc.constant(null);
    case "array": {
      const items = schema.items ?? {};
      const minLength = schema.minItems ?? 0;
      const maxLength = Math.max(minLength, Math.min(schema.maxItems ?? 4, 4));
      return fc.array(validValue(items, hint, `${name}[]`), { minLength, maxLength });
    }
    case "object":
      return validObject(schema, hint);
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

const ABSENT = Symbol("absent");

function validObject(schema: JsonSchema, hint: Hint): fc.Arbitrary<Record<string, unknown>> {
  const props = schema.properties ?? {};
  const required = new Set(schema.required ?? []);
  const shape: Record<string, fc.Arbitrary<unknown>> = {};
  // Optional members mostly left out: each one present (a channel, a finding, references) is one
  // more thing that must fit the rest for the request to go through.
  for (const [key, prop] of Object.entries(props))
    shape[key] = required.has(key)
      ? validValue(prop, hint, key)
      : fc.oneof(
          { weight: 2, arbitrary: fc.constant(ABSENT) },
          { weight: 1, arbitrary: validValue(prop, hint, key) },
        );
  return fc.record(shape).map((o) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== ABSENT)));
}

/** Values of some other JSON type than the schema's. */
function wrongType(schema: JsonSchema): fc.Arbitrary<unknown> {
  const t = types(schema);
  const all: Array<[string, fc.Arbitrary<unknown>]> = [
    ["string", fc.constantFrom("", "12", "true", "null", "x")],
    ["integer", fc.constantFrom(0, -1, 12, 2 ** 53 + 1)],
    ["number", fc.constantFrom(1.5, -0.25, 1e308)],
    ["boolean", fc.boolean()],
    ["null", fc.constant(null)],
    ["array", fc.constantFrom([], [1], ["a", "b"])],
    ["object", fc.constantFrom({}, { a: 1 }, { "": null })],
  ];
  const others = all.filter(([name]) => !t.includes(name) && !(name === "integer" && t.includes("number")));
  return fc.oneof(...others.map(([, a]) => a));
}

/** Values the schema must refuse: wrong types, out of range, too long or short, not in the enum. */
export function invalidValue(schema: JsonSchema): fc.Arbitrary<unknown> {
  const alternatives = schema.anyOf ?? schema.oneOf;
  const options: fc.Arbitrary<unknown>[] = [];
  if (alternatives?.every((s) => s.enum || s.const !== undefined) || schema.enum) {
    options.push(fc.constantFrom("not-a-valid-choice", "", "DRAFT", " draft", 7, null, ["a"]));
    return fc.oneof(...options);
  }
  if (alternatives) return wrongTypeOfAll(alternatives);
  options.push(wrongType(schema));
  const t = types(schema);
  if (t.includes("string")) {
    if (schema.maxLength !== undefined) options.push(fc.constant(hugeString(schema.maxLength + 1)));
    if ((schema.minLength ?? 0) > 0) options.push(fc.constant(""));
    options.push(fc.constantFrom("\u0000", "a\u0000b", "case_\u0000"));
    if (schema.pattern) options.push(fc.constantFrom("zz", "2026-13", "usd", "ZZZZ", "2026-1", " USD"));
    if (schema.format === "date-time")
      options.push(
        fc.constantFrom("yesterday", "2026-13-45T99:99:99Z", "2026-05-04", "1e9", "2026-05-04T10:00:00"),
      );
  }
  if (t.includes("integer") || t.includes("number")) {
    const { min, max } = numberBounds(schema);
    if (schema.minimum !== undefined) options.push(fc.constantFrom(min - 1, -(2 ** 31), -1e300));
    if (schema.maximum !== undefined) options.push(fc.constantFrom(max + 1, 2 ** 53, 1e300));
    if (t.includes("integer")) options.push(fc.constantFrom(1.5, 0.000001, -2.5));
  }
  if (t.includes("array")) {
    if (schema.maxItems !== undefined)
      options.push(fc.constant(Array.from({ length: schema.maxItems + 1 }, () => "x")));
    if ((schema.minItems ?? 0) > 0) options.push(fc.constant([]));
    if (schema.items) options.push(invalidValue(schema.items).map((v) => [v]));
  }
  if (t.includes("object")) {
    options.push(fc.constant({ unexpected: true }));
    if (schema.required?.length) options.push(fc.constant({}));
  }
  return fc.oneof(...options);
}

function wrongTypeOfAll(alternatives: readonly JsonSchema[]): fc.Arbitrary<unknown> {
  const covered = new Set(alternatives.flatMap(types));
  return wrongType({ type: [...covered] });
}

/** A key the schema does not declare. */
const unknownKey = (schema: JsonSchema) =>
  fc
    .oneof(
      fc.constantFrom("isAdmin", "role", "id", "__proto__x", "", "organisation_id"),
      fc.string({ maxLength: 12 }),
    )
    .filter((k) => !(k in (schema.properties ?? {})));

/**
 * A valid object made invalid in one place: a required member dropped, a member of the wrong
 * type or out of its range, an undeclared member, a huge string, deep nesting — at the top level
 * or inside a nested object or array.
 */
export function mutatedValue(schema: JsonSchema, hint: Hint = noHint): fc.Arbitrary<unknown> {
  return validValue(schema, hint).chain((valid) => mutate(valid, schema));
}

function mutate(value: unknown, schema: JsonSchema): fc.Arbitrary<unknown> {
  const alternatives = schema.anyOf ?? schema.oneOf;
  if (alternatives) {
    // Mutate as the alternative the value came from (the first whose type matches).
    const matching = alternatives.find((s) =>
      types(s).includes(
        Array.isArray(value)
          ? "array"
          : value === null
            ? "null"
            : typeof value === "object"
              ? "object"
              : typeof value === "number"
                ? Number.isInteger(value)
                  ? "integer"
                  : "number"
                : typeof value,
      ),
    );
    return matching ? mutate(value, matching) : invalidValue(schema);
  }
  if (Array.isArray(value) && schema.items) {
    const items = schema.items;
    const options: fc.Arbitrary<unknown>[] = [invalidValue(schema)];
    if (value.length > 0)
      options.push(
        fc
          .nat({ max: value.length - 1 })
          .chain((i) => mutate(value[i], items).map((m) => value.map((v, j) => (i === j ? m : v)))),
      );
    return fc.oneof(...options);
  }
  if (value !== null && typeof value === "object" && !Array.isArray(value) && schema.properties) {
    const obj = value as Record<string, unknown>;
    const props = schema.properties;
    const present = Object.keys(obj).filter((k) => k in props);
    const declared = Object.keys(props);
    const options: fc.Arbitrary<unknown>[] = [
      // An undeclared member.
      fc.tuple(unknownKey(schema), fc.jsonValue({ maxDepth: 2 })).map(([k, v]) => ({ ...obj, [k]: v })),
      // Deep nesting where a member is expected (or as an undeclared one).
      fc
        .tuple(
          declared.length ? fc.constantFrom(...declared) : unknownKey(schema),
          fc.constantFrom(64, 5_000, 100_000),
          fc.boolean(),
        )
        .map(([k, depth, arrays]) => ({
          ...obj,
          [k]: arrays ? deepNesting(depth) : deepNesting(depth, '{"a":', "}"),
        })),
    ];
    // A member of the wrong type or out of its range (declared members, present or not).
    if (declared.length)
      options.push(
        fc.constantFrom(...declared).chain((k) => invalidValue(props[k]!).map((v) => ({ ...obj, [k]: v }))),
      );
    if (schema.required?.length) {
      const required = schema.required;
      options.push(
        fc
          .constantFrom(...required)
          .map((k) => Object.fromEntries(Object.entries(obj).filter(([key]) => key !== k))),
      );
    }
    const nested = present.filter((k) => typeof obj[k] === "object" && obj[k] !== null);
    if (nested.length)
      options.push(
        fc.constantFrom(...nested).chain((k) => mutate(obj[k], props[k]!).map((m) => ({ ...obj, [k]: m }))),
      );
    const strings = present.filter((k) => typeof obj[k] === "string");
    if (strings.length)
      options.push(
        fc
          .tuple(fc.constantFrom(...strings), fc.constantFrom(10_000, 300_000, 1_100_000))
          .map(([k, n]) => ({ ...obj, [k]: hugeString(n) })),
      );
    return fc.oneof(...options);
  }
  return invalidValue(schema);
}

/** What one request carries as its body. */
export type BodyPlan =
  | { kind: "none" }
  | { kind: "json"; value: unknown }
  | { kind: "text"; contentType: string | null; text: string | Bulky }
  | { kind: "multipart"; parts: MultipartPartPlan[]; damage: "none" | "truncated" | "wrong-boundary" };

export type MultipartPartPlan =
  | { name: string; value: unknown }
  | { name: string; fileName: string; contentType: string; bytes: Uint8Array | Bulky };

/** Bodies that attack the framing rather than the fields: the same for every operation. */
export function framingAttacks(): fc.Arbitrary<BodyPlan> {
  const text = (contentType: string | null, t: string | Bulky): BodyPlan => ({
    kind: "text",
    contentType,
    text: t,
  });
  return fc.oneof(
    fc.constantFrom<BodyPlan>(
      { kind: "none" },
      text("application/json", ""),
      text("application/json", "{"),
      text("application/json", '{"a":1,}'),
      text("application/json", "not json at all"),
      text("application/json", "\ufeff{}"),
      text("application/json", '{"__proto__":{"isAdmin":true}}'),
      text("application/json", '{"constructor":{"prototype":{"isAdmin":true}}}'),
      text("application/json", "null"),
      text("application/json", "[]"),
      text("application/json", '"a string"'),
      text("application/json", "12"),
      text("application/json; charset=latin1", "{}"),
      text("application/json", deepNesting(200_000)),
      text("application/json", deepNesting(50_000, '{"a":', "}")),
      text("application/json", hugeString(1_200_000)),
      text("text/plain", "{}"),
      text("text/plain", "hello"),
      text("application/x-www-form-urlencoded", "a=1&b=2"),
      text("application/xml", "<a>1</a>"),
      text("application/octet-stream", "\u0000\u0001\u0002"),
      text("multipart/form-data", "--x\r\n"),
      text("multipart/form-data; boundary=", "--\r\n"),
      text(`multipart/form-data; boundary=${"b".repeat(300)}`, `--${"b".repeat(300)}--\r\n`),
      text(null, "{}"),
      text("", "{}"),
      text("application/problem+json", "{}"),
    ),
    fc.jsonValue({ maxDepth: 3 }).map((value): BodyPlan => ({ kind: "json", value })),
    fc.string({ maxLength: 200, unit: "binary" }).map((t) => text("application/json", t)),
  );
}

/** A JSON body for an operation: valid, mutated, or a framing attack. */
export function jsonBodyPlan(schema: JsonSchema, hint: Hint, mode: Mode = "any"): fc.Arbitrary<BodyPlan> {
  const valid = validValue(schema, hint).map((value): BodyPlan => ({ kind: "json", value }));
  const broken = fc.oneof(
    { weight: 2, arbitrary: mutatedValue(schema, hint).map((value): BodyPlan => ({ kind: "json", value })) },
    { weight: 1, arbitrary: framingAttacks() },
  );
  if (mode === "valid") return valid;
  if (mode === "broken") return broken;
  return fc.oneof({ weight: 5, arbitrary: valid }, { weight: 6, arbitrary: broken });
}

/** The fields a multipart operation reads, each with its valid values. */
export type MultipartFields = Record<string, readonly string[]>;

const MAGIC: Record<string, { contentType: string; bytes: Uint8Array }> = {
  png: {
    contentType: "image/png",
    bytes: Uint8Array.from([
      0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52,
    ]),
  },
  pdf: { contentType: "application/pdf", bytes: new TextEncoder().encode("%PDF-1.4\n%%EOF\n") },
  jpeg: {
    contentType: "image/jpeg",
    bytes: Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, 0, 0x10, 0x4a, 0x46, 0x49, 0x46]),
  },
  csv: { contentType: "text/csv", bytes: new TextEncoder().encode("a,b\n1,2\n") },
  json: { contentType: "application/json", bytes: new TextEncoder().encode('{"a":1}\n') },
  elf: {
    contentType: "application/octet-stream",
    bytes: Uint8Array.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]),
  },
  html: {
    contentType: "text/html",
    bytes: new TextEncoder().encode("<!doctype html><script>alert(1)</script>"),
  },
};

const fileNames = fc.oneof(
  fc.constantFrom(
    "file.png",
    "report.pdf",
    "bill.csv",
    "../../etc/passwd",
    "..\\..\\boot.ini",
    "",
    "a".repeat(300),
    "退款.pdf",
    "x\u0000.png",
    'quote".csv',
    "semi;colon.csv",
  ),
  fc.string({ maxLength: 40, unit: "grapheme" }),
);

/** A file's content: random bytes, a known format's magic bytes and random rest, or too many bytes. */
function fileBytes(limitBytes: number): fc.Arbitrary<Uint8Array | Bulky> {
  return fc.oneof(
    { weight: 4, arbitrary: fc.uint8Array({ maxLength: 2048 }) },
    {
      weight: 4,
      arbitrary: fc
        .tuple(fc.constantFrom(...Object.values(MAGIC)), fc.uint8Array({ maxLength: 512 }))
        .map(([m, rest]) => Uint8Array.from([...m.bytes, ...rest])),
    },
    { weight: 1, arbitrary: fc.constant(hugeString(limitBytes + 1, "A")) },
  );
}

/** A multipart body: the operation's fields (valid or not) and files, or a damaged message. */
export function multipartBodyPlan(
  fields: MultipartFields,
  limitBytes: number,
  mode: Mode = "any",
): fc.Arbitrary<BodyPlan> {
  // What the operation expects: its fields, then one `file` part of a known format.
  const valid = fc
    .tuple(
      fc.tuple(
        ...Object.entries(fields).map(([name, values]) =>
          fc.constantFrom(...values).map((value): MultipartPartPlan => ({ name, value })),
        ),
      ),
      fc.constantFrom(...Object.entries(MAGIC).filter(([k]) => k !== "elf" && k !== "html")),
      fc.uint8Array({ maxLength: 256 }),
    )
    .map(
      ([named, [ext, m], rest]): BodyPlan => ({
        kind: "multipart",
        parts: [
          ...named,
          {
            name: "file",
            fileName: `upload.${ext}`,
            contentType: m.contentType,
            bytes: Uint8Array.from([...m.bytes, ...rest]),
          },
        ],
        damage: "none",
      }),
    );
  const field = ([name, values]: [string, readonly string[]]) =>
    fc.option(
      fc
        .oneof(
          { weight: 4, arbitrary: fc.constantFrom(...values) },
          { weight: 1, arbitrary: nastyString(80) },
        )
        .map((value): MultipartPartPlan => ({ name, value })),
      { nil: undefined, freq: 4 },
    );
  const file = fc.record({
    name: fc.oneof({ weight: 6, arbitrary: fc.constant("file") }, { weight: 1, arbitrary: nastyString(10) }),
    fileName: fileNames,
    contentType: fc.constantFrom(...Object.values(MAGIC).map((m) => m.contentType), "", "x/y"),
    bytes: fileBytes(limitBytes),
  });
  const parts = fc
    .tuple(
      fc.tuple(...Object.entries(fields).map(field)),
      fc.array(file, { minLength: 0, maxLength: 2 }),
      fc.boolean(),
      fc.array(fc.record({ name: nastyString(16), value: nastyString(40) }), { maxLength: 2 }),
    )
    .map(([named, files, fieldsFirst, extra]) => {
      const fieldParts = [...named.filter((p) => p !== undefined), ...extra] as MultipartPartPlan[];
      return fieldsFirst ? [...fieldParts, ...files] : [...files, ...fieldParts];
    });
  const broken = fc.oneof(
    {
      weight: 6,
      arbitrary: fc
        .tuple(
          parts,
          fc.constantFrom<"none" | "truncated" | "wrong-boundary">(
            "none",
            "none",
            "none",
            "none",
            "truncated",
            "wrong-boundary",
          ),
        )
        .map(([ps, damage]): BodyPlan => ({ kind: "multipart", parts: ps, damage })),
    },
    { weight: 1, arbitrary: framingAttacks() },
  );
  if (mode === "valid") return valid;
  if (mode === "broken") return broken;
  return fc.oneof({ weight: 1, arbitrary: valid }, { weight: 2, arbitrary: broken });
}

/** A query string: entries (valid or not, declared or not) or raw text. */
export type QueryPlan =
  | { kind: "entries"; entries: Array<[string, unknown]> }
  | { kind: "raw"; text: string };

/** Query values (always text on the wire) the schema must refuse. */
function invalidQueryValue(schema: JsonSchema): fc.Arbitrary<unknown> {
  const t = types(schema);
  const options: fc.Arbitrary<unknown>[] = [fc.constantFrom("", "[object Object]")];
  if (t.includes("integer") || t.includes("number"))
    options.push(
      fc.constantFrom("abc", "1.5", "-1", "0", "1e400", "99999999999999999999", "0x10", " 5", "Infinity"),
    );
  if (t.includes("integer") && schema.maximum !== undefined)
    options.push(fc.constant(String(schema.maximum + 1)));
  if (t.includes("boolean")) options.push(fc.constantFrom("yes", "2", "TRUE ", "null"));
  if (schema.maxLength !== undefined) options.push(fc.constant(hugeString(schema.maxLength + 1)));
  if (schema.pattern) options.push(fc.constantFrom("2026-13", "2026-1", "26-01", "2026-01-01"));
  if (schema.enum || (schema.anyOf ?? []).some((s) => s.enum))
    options.push(fc.constantFrom("nope", "OPEN", "open,filed"));
  return fc.oneof(...options);
}

export function queryPlan(
  params: readonly OpenApiParameter[],
  hint: Hint,
  mode: Mode = "any",
): fc.Arbitrary<QueryPlan> {
  type Entry = [string, unknown];
  // Each declared parameter or not (a required one mostly present), with a valid value.
  const valid = fc
    .tuple(
      ...params.map((p) =>
        fc.option(
          validValue(p.schema, hint, p.name).map((v): Entry => [p.name, v]),
          { nil: undefined, freq: p.required ? 8 : 2 },
        ),
      ),
    )
    .map((es) => es.filter((e): e is Entry => e !== undefined));
  // …then broken in one place: a value the schema refuses, garbage, the parameter twice, an unknown key.
  const breakage: fc.Arbitrary<(entries: Entry[]) => Entry[]>[] = [
    fc
      .tuple(
        fc.oneof(
          fc.constantFrom("unknown", "__proto__", "debug", "admin", "limit[]"),
          fc.string({ maxLength: 10 }),
        ),
        nastyString(20),
      )
      .map(([k, v]) => (entries: Entry[]) => [...entries, [k, v] as Entry]),
  ];
  if (params.length)
    breakage.push(
      fc
        .constantFrom(...params)
        .chain((p) => fc.oneof(invalidQueryValue(p.schema), nastyString(40)).map((v) => [p.name, v] as Entry))
        .map((bad) => (entries: Entry[]) => [...entries.filter(([k]) => k !== bad[0]), bad]),
      fc
        .constantFrom(...params)
        .chain((p) => validValue(p.schema, hint, p.name).map((v) => [p.name, v] as Entry))
        .map((twice) => (entries: Entry[]) => [...entries, twice, twice]),
    );
  const validPlan = valid.map((es): QueryPlan => ({ kind: "entries", entries: es }));
  const brokenEntries = fc
    .tuple(valid, fc.oneof(...breakage))
    .map(([es, breakIt]): QueryPlan => ({ kind: "entries", entries: breakIt(es) }));
  const raw = fc
    .constantFrom(
      "%",
      "%zz",
      "a=%E0%A4%A",
      "&&&=&",
      "limit[]=1",
      "__proto__[x]=1",
      "limit=1&limit=2",
      "=",
      "a=b=c",
      "limit=%00",
      "cursor=%F0%9F%99%82",
    )
    .map((text): QueryPlan => ({ kind: "raw", text }));
  const broken = fc.oneof({ weight: 4, arbitrary: brokenEntries }, { weight: 1, arbitrary: raw });
  if (mode === "valid") return validPlan;
  if (mode === "broken") return broken;
  return fc.oneof({ weight: 3, arbitrary: validPlan }, { weight: 2, arbitrary: broken });
}

/** A path parameter: a real id of its kind (mostly) or garbage, percent-encoded or (rarely) raw. */
export type PathParamPlan =
  | { kind: "real"; id: RealId }
  | { kind: "garbage"; value: string | Bulky; raw: boolean };

export function pathParamPlan(
  pool: string,
  otherPools: readonly string[],
  mode: Mode = "any",
): fc.Arbitrary<PathParamPlan> {
  const real = fc.nat().map((slot): PathParamPlan => ({ kind: "real", id: new RealId(pool, slot) }));
  const garbage = fc.oneof(
    nastyString(64),
    fc.constantFrom(hugeString(65, "a"), hugeString(5_000, "9"), hugeString(20_000, "a")),
    fc.stringMatching(/^[a-z]{2,6}_[0-9a-z]{26}$/),
  );
  const broken = fc.oneof(
    // A real id of another kind: a case id where a charge id goes.
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.constantFrom(...otherPools), fc.nat())
        .map(([p, slot]): PathParamPlan => ({ kind: "real", id: new RealId(p, slot) })),
    },
    {
      weight: 3,
      arbitrary: fc
        .tuple(garbage, fc.nat({ max: 9 }))
        .map(([value, r]): PathParamPlan => ({ kind: "garbage", value, raw: r === 0 })),
    },
  );
  if (mode === "valid") return real;
  if (mode === "broken") return broken;
  return fc.oneof({ weight: 3, arbitrary: real }, { weight: 2, arbitrary: broken });
}
