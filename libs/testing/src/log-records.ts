/** One structured log line of an app (pino JSON): `level`, `time`, `service`, `instance`, `msg`, ... */
export type LogRecord = Readonly<Record<string, unknown>>;

/**
 * Every line an app printed, parsed as the JSON object it must be. A line that is not one fails
 * the spec with the line itself (an app's output is pino's JSON lines and nothing else).
 */
export function logRecords(output: string): LogRecord[] {
  return output.split('\n').filter((l) => l.trim() !== '').map((line) => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      throw new Error(`not a JSON log line: ${line}`);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error(`not a JSON object log line: ${line}`);
    return parsed as LogRecord;
  });
}

/** The access-log lines (context `http`) of an app's output, in order. */
export function accessLog(output: string): { reqId: string; method: string; path: string; status: number }[] {
  return logRecords(output).filter((r) => r['context'] === 'http').map((r) => ({
    reqId: String(r['reqId']), method: String(r['method']), path: String(r['path']), status: Number(r['status']),
  }));
}
