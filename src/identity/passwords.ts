import argon2 from "argon2";
import type { Config } from "../config.js";

export function hashPassword(password: string, params: Config["passwordHashing"]): Promise<string> {
  return argon2.hash(password, { type: argon2.argon2id, ...params });
}

export async function verifyPassword(hash: string, password: string): Promise<boolean> {
  try {
    return await argon2.verify(hash, password);
  } catch {
    return false;
  }
}

/** Spent on unknown e-mails too, so response time does not reveal which accounts exist. */
let dummyHash: Promise<string> | null = null;
export async function burnPasswordCheck(password: string, params: Config["passwordHashing"]): Promise<void> {
  dummyHash ??= hashPassword("not-a-real-password", params);
  await verifyPassword(await dummyHash, password);
}

export const MIN_PASSWORD_LENGTH = 4;
