/** The day (YYYY-MM-DD) in Korean time: the sites' clock, by which their log files are named. */
export function kstDay (at = new Date()): string {
  return new Date(at.getTime() + 9 * 3600_000).toISOString().slice(0, 10)
}
