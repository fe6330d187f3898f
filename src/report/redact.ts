/**
 * Removes secrets from text before it is written anywhere (journal, results.json, junit.xml, report.html,
 * CLI tables). Every writer in src/report calls it on its final text, so a secret that slipped into an
 * error message or an event is still caught. Replaced: each secret as is and in its JSON-string, HTML/XML
 * and URL-encoded forms, plus the password part of any `scheme://user:password@host` URL.
 * Secrets shorter than 4 characters are only replaced as whole words (replacing "ab" inside every word
 * would destroy the report without protecting anything).
 */
export const REDACTED = '***';

const URL_CREDENTIALS = /([a-z][a-z0-9+.-]*:\/\/[^\s/:@"'<>]+:)([^\s@/"'<>]+)(@)/gi;

export function redact(text: string, secrets: ReadonlyArray<string | null | undefined> = []): string {
  let out = text.replace(URL_CREDENTIALS, `$1${REDACTED}$3`);
  const variants = new Set<string>();
  for (const secret of secrets) {
    if (!secret) continue;
    for (const v of [secret, JSON.stringify(secret).slice(1, -1), escapeMarkup(secret), encodeURIComponent(secret)]) if (v) variants.add(v);
  }
  // Longest first, so a secret containing another one is replaced whole.
  for (const v of [...variants].sort((a, b) => b.length - a.length)) {
    out = v.length >= 4 ? out.split(v).join(REDACTED) : out.replace(new RegExp(`(?<![\\w])${escapeRegExp(v)}(?![\\w])`, 'g'), REDACTED);
  }
  return out;
}

function escapeMarkup(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
