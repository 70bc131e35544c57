/** Downloads rows as CSV (RFC 4180 quoting), built from the exact strings on screen. */
export function downloadCsv(filename: string, rows: string[][]): void {
  const text = rows
    .map((row) => row.map((cell) => (/[",\n]/.test(cell) ? `"${cell.replace(/"/g, '""')}"` : cell)).join(","))
    .join("\r\n");
  const url = URL.createObjectURL(new Blob([text + "\r\n"], { type: "text/csv" }));
  const link = document.createElement("a");
  link.href = url;
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
