import { describe, expect, it } from "vitest";
import { isPrivateAddress, publicOnlyLookup, webhookUrlError } from "./webhook-url.js";

describe("isPrivateAddress", () => {
  it.each([
    "127.0.0.1",
    "127.8.9.10",
    "10.0.0.1",
    "172.16.5.4",
    "172.31.255.255",
    "192.168.1.1",
    "169.254.169.254",
    "100.64.0.1",
    "0.0.0.0",
    "224.0.0.1",
    "255.255.255.255",
    "::1",
    "::",
    "fd12:3456::1",
    "fe80::1",
    "ff02::1",
    "::ffff:127.0.0.1",
    "::ffff:a9fe:a9fe",
    "64:ff9b::a00:1",
    "not an address",
  ])("refuses %s", (address) => {
    expect(isPrivateAddress(address)).toBe(true);
  });

  it.each(["8.8.8.8", "198.51.100.7", "172.32.0.1", "2606:4700::1111", "::ffff:8.8.8.8", "64:ff9b::808:808"])(
    "accepts %s",
    (address) => {
      expect(isPrivateAddress(address)).toBe(false);
    },
  );
});

describe("webhookUrlError", () => {
  const strict = (addresses: string[] | Error) => ({
    allowPrivateNetworks: false,
    resolve: async () => {
      if (addresses instanceof Error) throw addresses;
      return addresses;
    },
  });

  it("judges every address a host resolves to", async () => {
    expect(await webhookUrlError("https://hooks.example.com/x", strict(["93.184.215.14"]))).toBeNull();
    expect(
      await webhookUrlError("https://hooks.example.com/x", strict(["93.184.215.14", "10.0.0.7"])),
    ).toMatchObject({ field: "url", code: "private_address" });
    expect(await webhookUrlError("https://nowhere.example/x", strict(new Error("ENOTFOUND")))).toMatchObject({
      code: "unresolvable_host",
    });
  });

  it("allows private addresses only when told to, and never other schemes or credentials", async () => {
    const open = { allowPrivateNetworks: true };
    expect(await webhookUrlError("http://127.0.0.1:3000/x", open)).toBeNull();
    expect(await webhookUrlError("file:///etc/passwd", open)).toMatchObject({ code: "unsupported_scheme" });
    expect(await webhookUrlError("http://a:b@127.0.0.1/", open)).toMatchObject({
      code: "credentials_in_url",
    });
    expect(await webhookUrlError(`https://x.example/${"a".repeat(2000)}`, open)).toMatchObject({
      code: "too_long",
    });
  });
});

describe("publicOnlyLookup", () => {
  it("refuses, at connect time, a name that resolves to loopback", async () => {
    const error = await new Promise<NodeJS.ErrnoException | null>((resolve) =>
      publicOnlyLookup("localhost", {}, (err) => resolve(err)),
    );
    expect(error?.code).toBe("EPRIVATEADDRESS");
  });
});
