/** A connection URL fit for reports and target descriptions: the password is replaced by `***`. */
export function redactUrl(url: string, fallback = 'redis (url)'): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return fallback;
  }
}
