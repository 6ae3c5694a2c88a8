/**
 * USD for people: cents from a dollar up (`$1,234.50`), four significant
 * digits below it (`$0.01263`), so a per-request cost does not read as $0.01.
 */
export function formatUsd(usd: number): string {
  const sign = usd < 0 ? '-' : '';
  const abs = Math.abs(usd);
  if (abs >= 1 || abs === 0) {
    const text = abs.toLocaleString('en-US', {
      minimumFractionDigits: 2,
      maximumFractionDigits: 2,
    });
    return `${sign}$${text}`;
  }
  const decimals = Math.min(10, Math.max(2, 3 - Math.floor(Math.log10(abs))));
  // Trailing zeros past the cents say nothing.
  const text = abs.toFixed(decimals).replace(/(\.\d\d\d*?)0+$/, '$1');
  return `${sign}$${text}`;
}
