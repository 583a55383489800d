/** Reads a CSV as summary.csv writes it (RFC 4180 quoting), one record a row keyed by the header. */
export function parseCsv(text: string): Record<string, string>[] {
  const [header, ...rows] = text.trim().split('\n');
  const columns = header.split(',');
  return rows.map((row) => {
    const cells: string[] = [];
    for (const m of row.matchAll(/("(?:[^"]|"")*"|[^,]*)(,|$)/g)) {
      cells.push(m[1].startsWith('"') ? m[1].slice(1, -1).replace(/""/g, '"') : m[1]);
      if (m[2] === '') break;
    }
    return Object.fromEntries(columns.map((c, i) => [c, cells[i]]));
  });
}
