import { spawn } from "node:child_process";
import { resolve } from "node:path";

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

const ROOT = resolve(import.meta.dirname, "../..");

/** Runs the real CLI (TypeScript sources through tsx) as a child process. */
export function runCli(
  args: string[],
  env: Record<string, string>,
  stdin?: string,
  cwd = ROOT,
): Promise<CliResult> {
  return new Promise((done, fail) => {
    // Resolved here, so the CLI can run with any working directory.
    const child = spawn(
      process.execPath,
      ["--import", import.meta.resolve("tsx"), resolve(ROOT, "src/cli/main.ts"), ...args],
      {
        cwd,
        env: { ...process.env, REFUND_DESK_LOG_LEVEL: "silent", ...env },
        stdio: ["pipe", "pipe", "pipe"],
      },
    );
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    child.on("error", fail);
    child.on("close", (code) => done({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(stdin ?? "");
  });
}
