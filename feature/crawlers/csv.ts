import { ValidationError } from '../../core/errors.ts';

/**
 * Parses RFC 4180 CSV into rows of fields. Quoted fields may hold commas, line breaks and doubled
 * quotes (`""` is one `"`); records may end in CRLF, LF or CR; a leading UTF-8 BOM is dropped.
 * Line breaks inside quoted fields are kept exactly as written. An unterminated quote throws,
 * because silently reading the rest of the file as one field loses every later record.
 */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let index = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let quoted = false;
  // Whether the current record has begun, so a trailing newline does not add an empty record.
  let started = false;
  const endRecord = () => {
    row.push(field);
    rows.push(row);
    row = [];
    field = '';
    started = false;
  };
  while (index < text.length) {
    const char = text[index]!;
    if (quoted) {
      if (char === '"') {
        if (text[index + 1] === '"') {
          field += '"';
          index += 2;
          continue;
        }
        quoted = false;
      } else {
        field += char;
      }
      index += 1;
      continue;
    }
    if (char === '"' && field === '') {
      quoted = true;
      started = true;
    } else if (char === ',') {
      row.push(field);
      field = '';
      started = true;
    } else if (char === '\r' || char === '\n') {
      if (started || field !== '' || row.length > 0) endRecord();
      else rows.push([]); // a blank line: kept, so callers can report line numbers faithfully
      if (char === '\r' && text[index + 1] === '\n') index += 1;
    } else {
      // A stray quote inside an unquoted field is kept as text, as most exporters mean it.
      field += char;
      started = true;
    }
    index += 1;
  }
  if (quoted) throw new ValidationError('CSV ends inside a quoted field (unbalanced quotes)');
  if (started || field !== '' || row.length > 0) endRecord();
  return rows;
}

/**
 * Parses CSV with a header row into records keyed by column name. Blank lines are skipped; rows
 * shorter than the header get empty strings, so optional trailing columns may be left off.
 */
export function parseCsvRecords(text: string): { columns: string[]; records: Record<string, string>[] } {
  const [header = [], ...rows] = parseCsv(text).filter((row) => row.length > 0);
  const columns = header.map((column) => column.trim());
  const records = rows.map((row) =>
    Object.fromEntries(columns.map((column, index) => [column, row[index] ?? ''])),
  );
  return { columns, records };
}
