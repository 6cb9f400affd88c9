/** A progress bar on a terminal; silent when the stream is not one (a pipe, a file, a test harness). */
export interface Progress {
  /** `done` of the total so far. */
  update(done: number): void;
  /** Erases the bar so the summary line starts on a clean line. */
  finish(): void;
}

const WIDTH = 30;

export function createProgress(total: number, what: string, stream: NodeJS.WriteStream = process.stderr): Progress {
  if (!stream.isTTY || total <= 0) return { update() {}, finish() {} };
  const started = performance.now();
  let shown = false;
  return {
    update(done: number) {
      const f = Math.min(1, done / total);
      const filled = Math.round(f * WIDTH);
      const seconds = (performance.now() - started) / 1000;
      const eta = done > 0 && done < total ? `, ~${Math.ceil((seconds / done) * (total - done))} s left` : '';
      stream.write(`\r[${'#'.repeat(filled)}${'.'.repeat(WIDTH - filled)}] ${done}/${total} ${what}${eta}\x1b[K`);
      shown = true;
    },
    finish() {
      if (shown) stream.write('\r\x1b[K');
    },
  };
}
