import { readFileSync } from 'node:fs'
import { parse } from 'csv-parse/sync'
import { GraderError } from '../errors/grader-error.ts'

/**
 * An instructor's CSV file (a roster, overrides) as rows of named cells, read with csv-parse (the csv-stringify
 * project's parser: quotes, embedded newlines, an Excel BOM, CRLF). Header names are trimmed and lower-cased;
 * a header outside `columns` is refused with the list of known ones, so a misspelt column is never ignored.
 * `line` is the row's line in the file, for messages.
 */
export function readCsvFile(
  file: string,
  what: string,
  columns: { required: readonly string[]; optional: readonly string[] },
  hint: string,
): { line: number; cells: Record<string, string> }[] {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (error) {
    throw new GraderError(
      'USAGE',
      `${what} ${file} cannot be read: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'there is no such file' : (error as Error).message}`,
      { hint },
    )
  }
  let records: { record: string[]; info: { lines: number } }[]
  try {
    records = parse(text, {
      bom: true,
      skip_empty_lines: true,
      trim: true,
      relax_column_count: false,
      info: true,
    }) as unknown as { record: string[]; info: { lines: number } }[]
  } catch (error) {
    throw new GraderError('USAGE', `${what} ${file} is not a valid CSV file: ${(error as Error).message}`, { hint })
  }
  if (records.length === 0)
    throw new GraderError(
      'USAGE',
      `${what} ${file} is empty: it needs a header row (${columns.required.join(', ')}, ...)`,
      { hint },
    )
  const header = records[0].record.map((name) => name.trim().toLowerCase())
  const known = [...columns.required, ...columns.optional]
  const unknown = header.filter((name) => !known.includes(name))
  if (unknown.length > 0) {
    throw new GraderError(
      'USAGE',
      `${what} ${file}: unknown column${unknown.length === 1 ? '' : 's'} ${unknown.map((name) => `"${name}"`).join(', ')}; the known columns are ${known.join(', ')}`,
      { hint },
    )
  }
  const absent = columns.required.filter((name) => !header.includes(name))
  if (absent.length > 0)
    throw new GraderError(
      'USAGE',
      `${what} ${file} has no ${absent.map((name) => `"${name}"`).join(', ')} column (its header is ${header.join(', ')})`,
      { hint },
    )
  const repeated = header.filter((name, index) => header.indexOf(name) !== index)
  if (repeated.length > 0)
    throw new GraderError('USAGE', `${what} ${file}: the column "${repeated[0]}" appears twice`, { hint })
  return records.slice(1).map(({ record, info }) => ({
    line: info.lines,
    cells: Object.fromEntries(header.map((name, index) => [name, record[index] ?? ''])),
  }))
}
