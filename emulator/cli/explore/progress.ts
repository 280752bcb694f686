// The sweep's progress line on stderr, in a terminal only (never with --json, never when
// stderr is a file or a pipe): offsets done of the total and the host rate. Host time here is
// for the person watching; nothing of it reaches a report.

export interface Progress {
  update(done: number, total: number): void;
  stop(): void;
}

export function progressBar(label: string, stream: NodeJS.WriteStream = process.stderr): Progress | undefined {
  if (!stream.isTTY) return undefined;
  const start = performance.now(); // wall-clock ok: the progress line is for the person watching
  let shown = -1;
  const draw = (done: number, total: number) => {
    const width = 30;
    const filled = Math.round((done / Math.max(1, total)) * width);
    const rate = done / Math.max(1e-3, (performance.now() - start) / 1000); // wall-clock ok
    stream.write(`\r${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} offsets, ${rate.toFixed(0)}/s `);
  };
  return {
    update(done, total) {
      const pct = Math.floor((done * 100) / Math.max(1, total));
      if (pct === shown && done !== total) return;
      shown = pct;
      draw(done, total);
    },
    stop() {
      stream.write('\n');
    },
  };
}
