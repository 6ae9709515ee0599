import Ajv, { type Options } from "ajv";
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

export const validatorCompiler: FastifySchemaCompiler<unknown> = ({ schema, httpPart }) => {
  const ajv = httpPart === "body" ? strictAjv : coercingAjv;
  return ajv.compile(schema as object) as ReturnType<FastifySchemaCompiler<unknown>>;
};
