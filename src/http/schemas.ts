import type { SwaggerTransform } from "@fastify/swagger";
import { Type } from "typebox";

/** Shapes shared by many routes; each appears once in the OpenAPI document. */
export const Id = (description: string) => Type.String({ minLength: 1, maxLength: 64, description });

const pageParams = {
  limit: Type.Optional(
    Type.Integer({ minimum: 1, maximum: 200, description: "Items per page (default 50)" }),
  ),
  cursor: Type.Optional(Type.String({ maxLength: 200, description: "`nextCursor` of the previous page" })),
};

export const PageQuery = Type.Object(pageParams, { additionalProperties: false });

/** A list's query string: the page parameters plus the list's own filters. */
export const pageQueryWith = <P extends Parameters<typeof Type.Object>[0]>(filters: P) =>
  Type.Object({ ...pageParams, ...filters }, { additionalProperties: false });

export const FieldErrorSchema = Type.Object({
  field: Type.String(),
  code: Type.String(),
  message: Type.String(),
});

export const Problem = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String(),
    instance: Type.String(),
    code: Type.String(),
    requestId: Type.String(),
    errors: Type.Optional(Type.Array(FieldErrorSchema)),
  },
  { additionalProperties: true, description: "RFC 9457 problem details" },
);

/** Every route can fail with these; listed so the OpenAPI document shows the problem shape. */
export const problemResponses = {
  400: Problem,
  401: Problem,
  403: Problem,
  404: Problem,
  409: Problem,
  422: Problem,
  429: Problem,
};

export const pageOf = <T extends ReturnType<typeof Type.Object>>(item: T) =>
  Type.Object({ items: Type.Array(item), nextCursor: Type.Union([Type.String(), Type.Null()]) });

/**
 * A multipart body, for the OpenAPI document only: the handler reads the parts as they stream (files
 * are not buffered into `request.body`), so Fastify must not validate one. Fields first, then `file`.
 */
export function multipartBody(
  fields: Parameters<typeof Type.Object>[0],
  file: string,
): { swaggerTransform: SwaggerTransform } {
  const schema = Type.Object({
    ...fields,
    file: Type.String({ format: "binary", description: file }),
  });
  return {
    swaggerTransform: ({ schema: route, url }) => {
      const body = (route.body ?? {}) as { content?: Record<string, unknown> };
      return {
        url,
        schema: {
          ...route,
          body: { content: { ...body.content, "multipart/form-data": { schema } } },
        },
      };
    },
  };
}
