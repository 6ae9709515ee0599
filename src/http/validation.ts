import Ajv, { type ErrorObject, type Options, type ValidateFunction } from "ajv";
import addFormats from "ajv-formats";
import type { FastifySchemaCompiler } from "fastify";
import { NUL_CHARACTER_MESSAGE, nulCharacterPaths } from "../shared/nul-characters.js";

/**
 * Bodies are validated strictly: no type coercion ("12" is not a number), unknown fields
 * rejected, every error reported. Query strings, params and headers arrive as text and
 * are coerced to the declared types.
 */
const common: Options = { allErrors: true, strict: false, useDefaults: true, removeAdditional: false };
const strictAjv = addFormats.default(new Ajv.default({ ...common, coerceTypes: false }));
const coercingAjv = addFormats.default(new Ajv.default({ ...common, coerceTypes: "array" }));

/** Each NUL character in the request's text as Ajv's error, beside the schema's own. */
function nulCharacters(data: unknown): ErrorObject[] {
  return nulCharacterPaths(data).map((instancePath) => ({
    instancePath,
    schemaPath: "",
    keyword: "nul_character",
    params: {},
    message: NUL_CHARACTER_MESSAGE,
  }));
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
