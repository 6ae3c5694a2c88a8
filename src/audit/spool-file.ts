import { appendFile, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { AuditRecord } from './audit-record.js';

export interface SpoolLoad {
  records: AuditRecord[];
  /** Lines that did not parse, such as a line torn by a crash mid-append. */
  unreadableLines: number;
}

/**
 * The on-disk copy of records the sink has not taken yet: one JSON record a
 * line, appended while the sink is down and emptied once all of them are
 * written. It holds records already written too, until it is emptied; that
 * is harmless because every insert is idempotent by request id.
 */
export class SpoolFile {
  readonly path: string;
  /** Lines in the file, as far as this process knows. */
  lineCount = 0;

  constructor(path: string) {
    this.path = path;
  }

  /** Reads every record in the file; a missing file holds none. */
  async load(): Promise<SpoolLoad> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT')
        return { records: [], unreadableLines: 0 };
      throw error;
    }
    const records: AuditRecord[] = [];
    let unreadableLines = 0;
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      const record = parseRecord(line);
      if (record) records.push(record);
      else unreadableLines++;
    }
    this.lineCount = records.length + unreadableLines;
    return { records, unreadableLines };
  }

  async append(records: AuditRecord[]): Promise<void> {
    if (records.length === 0) return;
    await mkdir(dirname(this.path), { recursive: true });
    await appendFile(this.path, toLines(records), 'utf8');
    this.lineCount += records.length;
  }

  /** Replaces the file's content, atomically (a crash leaves the old or the new). */
  async rewrite(records: AuditRecord[]): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true });
    const temporary = `${this.path}.tmp`;
    await writeFile(temporary, toLines(records), 'utf8');
    await rename(temporary, this.path);
    this.lineCount = records.length;
  }

  async clear(): Promise<void> {
    await this.rewrite([]);
  }
}

function toLines(records: AuditRecord[]): string {
  return records.map((record) => `${JSON.stringify(record)}\n`).join('');
}

function parseRecord(line: string): AuditRecord | undefined {
  try {
    const value: unknown = JSON.parse(line);
    if (!isRecordLike(value)) return undefined;
    return value;
  } catch {
    return undefined;
  }
}

/** Enough of a record to write it; the sink's columns check the rest. */
function isRecordLike(value: unknown): value is AuditRecord {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Partial<AuditRecord>;
  return (
    typeof candidate.requestId === 'string' &&
    typeof candidate.timeMs === 'number' &&
    Array.isArray(candidate.attempts)
  );
}
