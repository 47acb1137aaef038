/**
 * Runs a small command's main(): its number becomes the exit code, and a thrown error becomes one
 * `[tag] FAILED: …` line and exit code 1, the same way for every set-up command.
 */
export function runMain(tag: string, main: () => Promise<number>): void {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      console.error(`[${tag}] FAILED: ${e instanceof Error ? e.message : String(e)}`);
      process.exitCode = 1;
    },
  );
}
