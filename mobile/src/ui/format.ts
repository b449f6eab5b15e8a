// Money arrives as decimal strings; shown with two decimals and a sign where it is a gain or loss.
export function money(value: string | null | undefined, { signed = false } = {}): string {
  if (value === null || value === undefined || value === "") return "—";
  const n = Number(value);
  if (!Number.isFinite(n)) return value;
  const text = Math.abs(n).toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  if (!signed) return (n < 0 ? "-" : "") + text;
  return (n > 0 ? "+" : n < 0 ? "-" : "") + text;
}
