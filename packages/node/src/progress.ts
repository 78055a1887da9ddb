/**
 * A progress bar on stderr for long CLI work: redrawn in place on a terminal, a line every few seconds
 * otherwise (CI logs), and always a final line.
 */
export function createProgress(label: string, total: number, stream: NodeJS.WriteStream = process.stderr) {
  const started = Date.now();
  let lastDraw = 0;
  let done = 0;
  const draw = (final: boolean) => {
    const now = Date.now();
    if (!final && now - lastDraw < (stream.isTTY ? 100 : 5_000)) return;
    lastDraw = now;
    const fraction = total > 0 ? Math.min(1, done / total) : 1;
    const rate = done / Math.max(0.001, (now - started) / 1000);
    const width = 30;
    const bar = '█'.repeat(Math.round(fraction * width)).padEnd(width, '░');
    const eta = rate > 0 && total > done ? ` eta ${Math.ceil((total - done) / rate)}s` : '';
    const line = `${label} ${bar} ${done}/${total} (${Math.round(fraction * 100)}%) ${Math.round(rate)}/s${eta}`;
    if (stream.isTTY) stream.write(`\r${line}\u001b[K${final ? '\n' : ''}`);
    else stream.write(`${line}\n`);
  };
  return {
    tick(count = 1) {
      done += count;
      draw(false);
    },
    finish() {
      draw(true);
    },
  };
}
