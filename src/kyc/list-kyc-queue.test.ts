import { describe, expect, it } from "vitest";
import { AppError } from "../shared/errors.js";
import { decodeQueueCursor, encodeQueueCursor } from "./list-kyc-queue.js";

describe("queue cursor", () => {
  const position = { submittedAt: "2026-05-04T10:00:00.000Z", id: "acct_01jtestaaaaaaaaaaaaaaaaaaa" };

  it("round-trips and is opaque", () => {
    const cursor = encodeQueueCursor(position);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeQueueCursor(cursor)).toEqual(position);
    expect(decodeQueueCursor(undefined)).toBeNull();
  });

  it.each([
    ["not base64 JSON", "!!!"],
    ["an id cursor of another list", Buffer.from(position.id).toString("base64url")],
    ["a forged timestamp", Buffer.from(JSON.stringify(["yesterday", position.id])).toString("base64url")],
    ["SQL in the id", Buffer.from(JSON.stringify([position.submittedAt, "x' or 1=1"])).toString("base64url")],
  ])("rejects %s with invalid_cursor", (_label, cursor) => {
    try {
      decodeQueueCursor(cursor);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(AppError);
      expect((e as AppError).code).toBe("validation_failed");
      expect((e as AppError).fieldErrors[0]?.code).toBe("invalid_cursor");
    }
  });
});
