import Ajv, { type ErrorObject, type Options, type ValidateFunction } from "ajv";
import addFormats from "ajv-formats";
import type { FastifySchemaCompiler } from "fastify";

/**
 * Bodies are validated strictly: no type coercion ("12" is not a number), unknown fields
 * rejected, every error reported. Query strings, params and headers arrive as text and
 * are coerced to the declared types.
 */
const common: Options = { allErrors: true, strict: false, useDefaults: true, removeAdditional: false };
const strictAjv = addFormats.default(new Ajv.default({ ...common, coerceTypes: false }));
const coercingAjv = addFormats.default(new Ajv.default({ ...common, coerceTypes: "array" }));

/**
 * The NUL character (U+0000) anywhere in the text of a request: in a value or a member name.
 * NOTE: PostgreSQL text cannot hold it (the driver's error would be a 500) while SQLite stores
 * it; no field of this API has a use for it, so both engines refuse it here, with a field error.
 * Walked without recursion: a rejected body may nest a million levels deep.
 */
function nulCharacters(data: unknown): ErrorObject[] {
  const found: ErrorObject[] = [];
  const error = (instancePath: string): ErrorObject => ({
    instancePath,
    schemaPath: "",
    keyword: "nul_character",
    params: {},
    message: "must not contain the NUL character (U+0000)",
  });
  const pending: Array<[unknown, string]> = [[data, ""]];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const [value, path] = next;
    if (typeof value === "string") {
      if (value.includes("\u0000")) found.push(error(path));
    } else if (Array.isArray(value)) {
      for (const [i, v] of value.entries()) pending.push([v, `${path}/${i}`]);
    } else if (value !== null && typeof value === "object") {
      for (const [key, v] of Object.entries(value)) {
        if (key.includes("\u0000")) found.push(error(path));
        pending.push([v, `${path}/${key.replaceAll("~", "~0").replaceAll("/", "~1")}`]);
      }
    }
  }
  return found;
}

export const validatorCompiler: FastifySchemaCompiler<unknown> = ({ schema, httpPart }) => {
  const ajv = httpPart === "body" ? strictAjv : coercingAjv;
  const validate = ajv.compile(schema as object);
  const validateText = ((data: unknown, context?: Parameters<ValidateFunction>[1]) => {
    const valid = validate(data, context);
    const nul = nulCharacters(data);
    validateText.errors = nul.length ? [...(validate.errors ?? []), ...nul] : validate.errors;
    return valid && nul.length === 0;
  }) as ValidateFunction;
  // Fastify passes the parent object (so that Ajv may coerce a root value) only to a function
  // that has Ajv's `schemaEnv`.
  validateText.schemaEnv = validate.schemaEnv;
  return validateText as ReturnType<FastifySchemaCompiler<unknown>>;
};
